//! The "Sent · Undo" toast after an approval or a Bulk Approve: a countdown until the message
//! leaves and the Undo button (or `z`), which takes the approvals back while they still wait.

use chrono::{DateTime, Utc};
use inbox_domain::{
    display::short_duration,
    dto::{BulkOp, BulkRequest, BulkResponse},
};
use leptos::prelude::*;

use crate::{
    api::{self, ApiError},
    context::{Live, Session, Undo, UndoOffer, Undoable},
};

/// The whole seconds left until `until`, counted up so that "1 s" shows until the very end.
fn seconds_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let millis = (until - now).num_milliseconds();
    if millis <= 0 {
        0
    } else {
        (millis + 999) / 1000
    }
}

/// The countdown as the toast shows it: "9 s", or "12m" and "14h 5m" for a call that waits
/// for the location to open.
fn countdown(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match seconds_left(until, now) {
        seconds @ 0..60 => format!("{seconds} s"),
        seconds => short_duration(seconds as f64),
    }
}

/// What an undo of a batch came to: some of its messages may have left already.
fn batch_undone(response: &BulkResponse) -> String {
    let total = response.results.len();
    match response.results.iter().filter(|r| r.ok).count() {
        done if done == total => format!("Undone: {done} back in Pending."),
        done => format!(
            "Undone: {done} of {total} back in Pending; the others had already left or changed."
        ),
    }
}

/// Takes back what `what` names. Its code is a WASM chunk of its own (`just spa`), fetched when
/// the first Undo toast shows.
#[lazy]
async fn undo_approvals(what: Undoable, csrf: String) -> Result<String, ApiError> {
    let csrf = csrf.as_str();
    match what {
        Undoable::Action(id) => api::undo(id, csrf)
            .await
            .map(|_| "Undone: back in Pending.".to_owned()),
        Undoable::Batch(ids) => {
            let request = BulkRequest {
                op: BulkOp::Undo,
                ids: ids.into_iter().map(Into::into).collect(),
                reason: None,
                note: None,
                duration: None,
                until: None,
                dry_run: false,
                acknowledged: Vec::new(),
            };
            Ok(batch_undone(&api::bulk(&request, csrf).await?))
        }
    }
}

#[component]
pub fn UndoToast() -> impl IntoView {
    let undo = expect_context::<Undo>();
    let live = expect_context::<Live>();
    let session = expect_context::<Session>();
    // The interval only says when to look again; the time is read fresh each look, so a toast
    // that appears between two ticks never counts from a stale instant (a 30 s window shown as 31).
    let tick = Trigger::new();
    let now = move || {
        tick.track();
        Utc::now()
    };
    // What the last undo came to, shown until the next approval or until dismissed.
    let said = RwSignal::new(None::<Result<String, ApiError>>);
    if let Ok(handle) =
        set_interval_with_handle(move || tick.notify(), std::time::Duration::from_millis(250))
    {
        on_cleanup(move || handle.clear());
    }
    let take_back = Action::new_local(move |offer: &UndoOffer| {
        let (what, csrf) = (offer.what.clone(), session.csrf.clone());
        undo_approvals(what, csrf)
    });
    Effect::new(move |_| {
        let Some(answer) = take_back.value().get() else {
            return;
        };
        undo.offer.set(None);
        if answer.is_ok() {
            undo.undone.update(|n| *n += 1);
        }
        said.set(Some(answer));
        live.changed();
    });
    // A new offer replaces what the last undo said, and brings in the code of taking it back
    // (once), so that Undo does not wait for it.
    Effect::new(move |_| {
        if undo.offer.get().is_some() {
            said.set(None);
            leptos::task::spawn_local(__preload_undo_approvals());
        }
    });
    // The window closed: nothing left to take back.
    Effect::new(move |_| {
        if let Some(offer) = undo.offer.get() {
            if seconds_left(offer.until, now()) == 0 {
                undo.offer.set(None);
            }
        }
    });
    let press = move || {
        if let Some(offer) = undo.offer.get_untracked() {
            if !take_back.pending().get_untracked() {
                take_back.dispatch(offer);
            }
        }
    };
    // `z` from the keyboard.
    Effect::new(move |first: Option<()>| {
        undo.asked.track();
        if first.is_some() {
            press();
        }
    });
    view! {
        {move || undo.offer.get().map(|UndoOffer { what, until }| {
            let sent = match what {
                Undoable::Action(_) => "Sent".to_owned(),
                Undoable::Batch(ids) => format!("{} sent", ids.len()),
            };
            view! {
                <div class="toast undo-toast" role="status" aria-label="Undo send">
                    <p>{move || format!("{sent} · Undo ({})", countdown(until, now()))}</p>
                    <button type="button" class="link" on:click=move |_| press()>"Undo"</button>
                </div>
            }
        })}
        {move || said.get().map(|answer| {
            let (class, role, text) = match answer {
                Ok(done) => ("toast undo-toast", "status", done),
                Err(error) => ("toast undo-toast error-toast", "alert", error.message),
            };
            view! {
                <div class=class role=role>
                    <p>{text}</p>
                    <button type="button" class="link" on:click=move |_| said.set(None)>"Dismiss"</button>
                </div>
            }
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use inbox_domain::{
        dto::{BulkError, BulkResult},
        ActionStatus,
    };
    use uuid::Uuid;

    #[test]
    fn the_countdown_rounds_up_and_stops_at_zero() {
        let now = Utc::now();
        assert_eq!(seconds_left(now + Duration::milliseconds(9_001), now), 10);
        assert_eq!(seconds_left(now + Duration::seconds(1), now), 1);
        assert_eq!(seconds_left(now, now), 0);
        assert_eq!(seconds_left(now - Duration::seconds(3), now), 0);
    }

    #[test]
    fn a_long_wait_counts_down_in_minutes_and_hours() {
        let now = Utc::now();
        assert_eq!(countdown(now + Duration::seconds(59), now), "59 s");
        assert_eq!(countdown(now + Duration::seconds(60), now), "1m");
        assert_eq!(
            countdown(now + Duration::hours(14) + Duration::minutes(5), now),
            "14h 5m"
        );
    }

    #[test]
    fn a_batch_undo_says_how_many_were_taken_back() {
        let result = |n: u128, ok: bool| BulkResult {
            id: Uuid::from_u128(n),
            ok,
            status: Some(if ok {
                ActionStatus::Pending
            } else {
                ActionStatus::Approved
            }),
            error: (!ok).then(|| BulkError {
                status: 409,
                detail: "its message has already left".to_owned(),
            }),
            warnings: Vec::new(),
        };
        let all = BulkResponse {
            results: vec![result(1, true), result(2, true)],
        };
        assert_eq!(batch_undone(&all), "Undone: 2 back in Pending.");
        let some = BulkResponse {
            results: vec![result(1, true), result(2, false), result(3, false)],
        };
        assert_eq!(
            batch_undone(&some),
            "Undone: 1 of 3 back in Pending; the others had already left or changed."
        );
    }
}
