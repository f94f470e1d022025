//! Snooze's form: a preset duration at one click, or a custom date and time, with a reminder note.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use inbox_domain::{dto::SnoozeAction, SnoozeDuration};
use leptos::prelude::*;

/// What the form holds; the review area keeps it while the reviewer switches forms.
#[derive(Debug, Clone, Copy)]
pub struct SnoozeFields {
    /// As the browser's `datetime-local` gives it: local time, to the minute.
    pub until: RwSignal<String>,
    pub note: RwSignal<String>,
}

impl Default for SnoozeFields {
    fn default() -> SnoozeFields {
        SnoozeFields {
            until: RwSignal::new(String::new()),
            note: RwSignal::new(String::new()),
        }
    }
}

/// The instant of a `datetime-local` value, given the browser's offset (minutes behind UTC, as
/// `Date.getTimezoneOffset` counts).
fn local_to_utc(local: &str, offset_minutes: i64) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").ok()?;
    Some((local + Duration::minutes(offset_minutes)).and_utc())
}

impl SnoozeFields {
    /// The request for a preset `duration`, or for the custom time when there is none (`None`
    /// while the custom time is not filled in).
    fn request(&self, version: i32, duration: Option<SnoozeDuration>) -> Option<SnoozeAction> {
        let until = match duration {
            Some(_) => None,
            None => {
                let offset_minutes = js_sys::Date::new_0().get_timezone_offset() as i64;
                Some(local_to_utc(&self.until.get_untracked(), offset_minutes)?)
            }
        };
        Some(SnoozeAction {
            expected_version: Some(version),
            duration,
            until,
            note: Some(self.note.get_untracked()).filter(|n| !n.trim().is_empty()),
            acknowledged: Vec::new(),
        })
    }
}

#[component]
pub fn SnoozeMenu(
    fields: SnoozeFields,
    /// The action's version the reviewer saw.
    version: i32,
    on_snooze: impl Fn(SnoozeAction) + Clone + 'static,
    on_cancel: impl Fn() + 'static,
) -> impl IntoView {
    let SnoozeFields { until, note } = fields;
    let snooze = move |duration: Option<SnoozeDuration>| {
        if let Some(request) = fields.request(version, duration) {
            on_snooze(request);
        }
    };
    let snooze_custom = snooze.clone();
    view! {
        <form class="inline-form" aria-label="Snooze" on:submit=move |ev| { ev.prevent_default(); snooze_custom(None) }>
            {SnoozeDuration::ALL.iter().map(|d| {
                let (d, snooze) = (*d, snooze.clone());
                view! { <button type="button" class="secondary" on:click=move |_| snooze(Some(d))>{d.label()}</button> }
            }).collect_view()}
            <label>"Custom date and time"
                <input type="datetime-local" prop:value=until on:input=move |ev| until.set(event_target_value(&ev))/>
            </label>
            <label>"Reminder note"
                <input prop:value=note on:input=move |ev| note.set(event_target_value(&ev))/>
            </label>
            <button type="submit" class="secondary">"Snooze"</button>
            <button type="button" class="link" on:click=move |_| on_cancel()>"Cancel"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_becomes_the_instant_it_names() {
        let berlin_winter = local_to_utc("2026-12-01T10:30", -60).expect("a datetime-local value");
        assert_eq!(berlin_winter.to_rfc3339(), "2026-12-01T09:30:00+00:00");
        assert_eq!(local_to_utc("", 0), None);
    }
}
