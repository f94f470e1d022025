//! The "Sent · Undo" toast after an approval: a countdown of the undo window and the Undo button
//! (or `z`), which takes the approval back while the message still waits to leave.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::{
    api::{self, ApiError},
    context::{Live, Session, Undo, UndoOffer},
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

#[component]
pub fn UndoToast() -> impl IntoView {
    let undo = expect_context::<Undo>();
    let live = expect_context::<Live>();
    let session = expect_context::<Session>();
    let now = RwSignal::new(Utc::now());
    // What the last undo came to, shown until the next approval or until dismissed.
    let said = RwSignal::new(None::<Result<&'static str, ApiError>>);
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(Utc::now()),
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || handle.clear());
    }
    let take_back = Action::new_local(move |offer: &UndoOffer| {
        let (id, csrf) = (offer.action, session.csrf.clone());
        async move {
            api::undo(id, &csrf)
                .await
                .map(|_| "Undone: back in Pending.")
        }
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
    // A new offer replaces what the last undo said.
    Effect::new(move |_| {
        if undo.offer.get().is_some() {
            said.set(None);
        }
    });
    // The window closed: nothing left to take back.
    Effect::new(move |_| {
        if let Some(offer) = undo.offer.get() {
            if seconds_left(offer.until, now.get()) == 0 {
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
        {move || undo.offer.get().map(|offer| view! {
            <div class="toast undo-toast" role="status" aria-label="Undo send">
                <p>{move || format!("Sent · Undo ({} s)", seconds_left(offer.until, now.get()))}</p>
                <button type="button" class="link" on:click=move |_| press()>"Undo"</button>
            </div>
        })}
        {move || said.get().map(|answer| {
            let (class, role, text) = match answer {
                Ok(done) => ("toast undo-toast", "status", done.to_owned()),
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

    #[test]
    fn the_countdown_rounds_up_and_stops_at_zero() {
        let now = Utc::now();
        assert_eq!(seconds_left(now + Duration::milliseconds(9_001), now), 10);
        assert_eq!(seconds_left(now + Duration::seconds(1), now), 1);
        assert_eq!(seconds_left(now, now), 0);
        assert_eq!(seconds_left(now - Duration::seconds(3), now), 0);
    }
}
