//! The Settings page: what the signed-in reviewer is told and how (a digest, emails about
//! critical and expiring actions, browser notifications), their one-click email links, and the
//! notices they were sent.

use chrono::Utc;
use inbox_domain::{
    display::time_ago,
    notices::{DigestFrequency, Notice, NotificationPreferences, LINK_HOURS},
};
use leptos::prelude::*;

use crate::{
    api::{self, ApiError},
    browser_notifications::{self, BrowserNotifications},
    components::error_notice::ErrorNotice,
    context::Session,
};

/// The digest choices, in the order the menu lists them.
const DIGESTS: [(DigestFrequency, &str); 3] = [
    (DigestFrequency::Off, "Off"),
    (DigestFrequency::Hourly, "Every hour something waits"),
    (DigestFrequency::Daily, "Once a day"),
];

/// A digest frequency as the API spells it (`daily`), the menu's option values.
fn digest_value(digest: DigestFrequency) -> String {
    serde_json::to_value(digest)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn digest_of(value: &str) -> DigestFrequency {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).unwrap_or_default()
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let preferences = LocalResource::new(api::notification_preferences);
    let notices = LocalResource::new(api::notices);
    view! {
        <main class="page settings">
            <h2>"Settings"</h2>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading your notification settings…"</p> }>
                {move || Suspend::new(async move {
                    match preferences.await {
                        Ok(saved) => view! { <PreferencesForm saved/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
            <EmailLinks/>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading your notices…"</p> }>
                {move || Suspend::new(async move {
                    match notices.await {
                        Ok(notices) => view! { <RecentNotices notices/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The reviewer's notification preferences, saved as a whole.
#[component]
fn PreferencesForm(saved: NotificationPreferences) -> impl IntoView {
    let session = expect_context::<Session>();
    let notifications = expect_context::<BrowserNotifications>();
    let digest = RwSignal::new(saved.digest);
    let hour = RwSignal::new(saved.digest_hour);
    let critical = RwSignal::new(saved.critical_email);
    let expiring = RwSignal::new(saved.expiring_email);
    let window = RwSignal::new(saved.expiring_window_hours.to_string());
    let browser = RwSignal::new(saved.browser);
    // Whether the browser lets the app notify, when the reviewer wants it to.
    let permission_note = RwSignal::new(
        (saved.browser && !browser_notifications::permission_granted()).then_some(
            "This browser does not let the inbox notify you yet: untick and tick the box to be asked.",
        ),
    );
    let replace = Action::new_local(move |preferences: &NotificationPreferences| {
        let (preferences, csrf) = (*preferences, session.csrf.clone());
        async move { api::replace_notification_preferences(&preferences, &csrf).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(now)) = replace.value().get() {
            notifications.preferences.set(Some(now));
        }
    });
    // A window that is not a number is said so here; the server names what is out of range.
    let refused = RwSignal::new(None::<ApiError>);
    let failure = move || {
        refused
            .get()
            .or_else(|| replace.value().get().and_then(Result::err))
    };
    let field_error = move |field: &'static str| {
        move || {
            failure()
                .and_then(|error| error.field_error(field))
                .map(|message| view! { <span class="field-error" role="alert">{message}</span> })
        }
    };
    let toggle_browser = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        browser.set(on);
        permission_note.set(None);
        if on && !browser_notifications::permission_granted() {
            browser_notifications::request_permission(move |granted| {
                if !granted {
                    permission_note.set(Some(if browser_notifications::is_supported() {
                        "Your browser refused: allow notifications for this site in its settings to see them."
                    } else {
                        "This browser cannot show notifications."
                    }));
                }
            });
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(expiring_window_hours) = window.get_untracked().trim().parse::<u32>() else {
            refused.set(Some(ApiError::invalid(
                "expiring_window_hours",
                "must be a whole number of hours",
            )));
            return;
        };
        refused.set(None);
        replace.dispatch(NotificationPreferences {
            digest: digest.get_untracked(),
            digest_hour: hour.get_untracked(),
            critical_email: critical.get_untracked(),
            expiring_email: expiring.get_untracked(),
            expiring_window_hours,
            browser: browser.get_untracked(),
        });
    };
    let message = move || match (failure(), replace.value().get()) {
        // The fields say what is wrong beside themselves.
        (Some(error), _) if !error.field_errors.is_empty() => {
            Some("Not saved: correct the fields marked in red.".to_owned())
        }
        (Some(error), _) => Some(error.message),
        (None, Some(Ok(_))) => Some("Saved.".to_owned()),
        _ => None,
    };
    // `novalidate`: the server's field errors show beside their fields, in the app's words.
    view! {
        <form class="agent-card settings-form" aria-labelledby="notifications-title" novalidate on:submit=save>
            <h3 id="notifications-title">"Notifications"</h3>
            <p class="muted">"Be told what waits for review when you are not looking at the inbox. Hours are in your location's time zone."</p>
            <fieldset>
                <label>"Digest email "
                    <select prop:value=move || digest_value(digest.get())
                        on:change=move |ev| digest.set(digest_of(&event_target_value(&ev)))>
                        {DIGESTS.iter().map(|(frequency, label)| view! {
                            <option value=digest_value(*frequency) selected=move || digest.get() == *frequency>{*label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || digest.get() == DigestFrequency::Daily>
                    <label>"at "
                        <select aria-label="Hour" prop:value=move || hour.get().to_string()
                            on:change=move |ev| hour.set(event_target_value(&ev).parse().unwrap_or_default())>
                            {(0u8..24).map(|h| view! { <option value=h.to_string() selected=move || hour.get() == h>{format!("{h:02}:00")}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                {field_error("digest_hour")}
            </fieldset>
            <fieldset>
                <label><input type="checkbox" prop:checked=critical on:change=move |ev| critical.set(event_target_checked(&ev))/>" Email me each critical action as it arrives"</label>
            </fieldset>
            <fieldset>
                <label><input type="checkbox" prop:checked=expiring on:change=move |ev| expiring.set(event_target_checked(&ev))/>" Email me when an action is about to expire"</label>
                <label>"within "
                    <input type="number" min="1" max="72" class="narrow" aria-label="Hours before expiry" prop:value=window on:input=move |ev| window.set(event_target_value(&ev))/>
                    " hours"
                </label>
                {field_error("expiring_window_hours")}
            </fieldset>
            <fieldset>
                <label><input type="checkbox" prop:checked=browser on:change=toggle_browser/>" Browser notifications while the inbox is in a background tab"</label>
                {move || permission_note.get().map(|note| view! { <span class="field-error" role="alert">{note}</span> })}
            </fieldset>
            <button type="submit" class="primary">"Save"</button>
            {move || message().map(|m| view! { <p role="status">{m}</p> })}
        </form>
    }
}

/// Revokes every one-click decision link the reviewer was sent.
#[component]
fn EmailLinks() -> impl IntoView {
    let session = expect_context::<Session>();
    let revoke = Action::new_local(move |_: &()| {
        let csrf = session.csrf.clone();
        async move { api::revoke_decision_links(&csrf).await }
    });
    let message = move || {
        revoke.value().get().map(|answer| match answer {
            Ok(()) => "Every link you were sent no longer works.".to_owned(),
            Err(error) => error.message,
        })
    };
    view! {
        <section class="agent-card" aria-labelledby="links-title">
            <h3 id="links-title">"Email links"</h3>
            <p class="muted">{format!("Notice emails carry one-click Approve and Reject links that work for {LINK_HOURS} hours. If an email reached someone it should not have, revoke them all: the next emails carry new ones.")}</p>
            <button type="button" class="secondary" disabled=move || revoke.pending().get()
                on:click=move |_| { revoke.dispatch(()); }>"Revoke all my email links"</button>
            {move || message().map(|m| view! { <p role="status">{m}</p> })}
        </section>
    }
}

/// The newest notices sent to the reviewer, each message readable in full.
#[component]
fn RecentNotices(notices: Vec<Notice>) -> impl IntoView {
    let now = Utc::now();
    view! {
        <section class="agent-card" aria-labelledby="notices-title">
            <h3 id="notices-title">"Recent notices"</h3>
            {if notices.is_empty() {
                view! { <p class="muted">"Nothing was sent to you yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="notices">
                        {notices.into_iter().map(|notice| {
                            let at = notice.sent_at.unwrap_or(notice.created_at);
                            view! {
                                <li>
                                    <span class=format!("badge notice-{}", notice.kind)>{notice.kind.label()}</span>
                                    " "<strong>{notice.subject.clone()}</strong>
                                    <span class="muted" title=at.to_rfc3339()>{format!(" · {} · {}", notice.state.label(), time_ago(at, now))}</span>
                                    <details>
                                        <summary>"Message"</summary>
                                        <pre class="notice-body">{notice.body_text}</pre>
                                    </details>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_digest_choice_survives_its_menu_value() {
        for (frequency, _) in DIGESTS {
            assert_eq!(digest_of(&digest_value(frequency)), frequency);
        }
        assert_eq!(digest_value(DigestFrequency::Daily), "daily");
        assert_eq!(digest_of("weekly"), DigestFrequency::Off);
    }
}
