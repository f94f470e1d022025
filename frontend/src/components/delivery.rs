//! Where the message of an approved (or auto-executed) action stands: a badge for list rows, and
//! in the detail panel when it leaves or left, its attempts and last error, with Retry for one
//! that failed; and what each delivery entry of the history says was sent or went wrong.

use chrono::{DateTime, Utc};
use inbox_domain::{
    delivery::{Delivery, DeliveryEntry, DeliveryState, MAX_ATTEMPTS},
    display::{short_duration, time_ago},
};
use leptos::prelude::*;

use crate::{
    api,
    components::error_notice::ErrorNotice,
    context::{Live, Session},
};

/// A delivery state as a small badge: "Scheduled", "Sending", "Sent", "Failed".
#[component]
pub fn DeliveryBadge(state: DeliveryState) -> impl IntoView {
    view! { <span class=format!("badge delivery-{state}")>{state.label()}</span> }
}

/// What the panel says about a delivery, line by line: when it leaves (or left), how often it
/// was tried, and why the last attempt failed.
fn delivery_facts(delivery: &Delivery, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let leaves = || {
        let seconds = (delivery.deliver_at - now).num_seconds();
        if seconds > 0 {
            format!("in {}", short_duration(seconds as f64))
        } else {
            "any moment now".to_owned()
        }
    };
    let mut facts = Vec::new();
    match delivery.state {
        DeliveryState::Scheduled if delivery.attempts == 0 => facts.push(("Leaves", leaves())),
        DeliveryState::Scheduled => facts.push(("Next attempt", leaves())),
        DeliveryState::Sending => facts.push(("Leaves", "now".to_owned())),
        DeliveryState::Sent => facts.push((
            "Left",
            time_ago(delivery.sent_at.unwrap_or(delivery.deliver_at), now),
        )),
        DeliveryState::Failed | DeliveryState::Cancelled | DeliveryState::Stopped => {}
    }
    // A message that left at the first try needs no count; one still trying shows how close it
    // is to giving up.
    match delivery.state {
        DeliveryState::Sent if delivery.attempts > 1 => {
            facts.push(("Attempts", delivery.attempts.to_string()));
        }
        DeliveryState::Sent => {}
        _ if delivery.attempts > 0 => facts.push((
            "Attempts",
            format!("{} of {MAX_ATTEMPTS}", delivery.attempts),
        )),
        _ => {}
    }
    if let Some(error) = delivery.last_error.clone() {
        // A stopped message's "error" is why it was not sent.
        let label = if delivery.state == DeliveryState::Stopped {
            "Stopped"
        } else {
            "Last error"
        };
        facts.push((label, error));
    }
    if let (Some(label), Some(id)) = (
        delivery.channel.provider_id_label(),
        delivery.provider_id.clone(),
    ) {
        facts.push((label, id));
    }
    facts
}

/// What a delivery entry of the history says, line by line: where a sent message went (the
/// recipient, the subject, the provider's id for it), or which attempt failed and why.
pub fn entry_facts(entry: &DeliveryEntry) -> Vec<(&'static str, String)> {
    match entry {
        DeliveryEntry::Sent(sent) => {
            let mut facts: Vec<_> = [("To", &sent.to), ("Subject", &sent.subject)]
                .into_iter()
                .filter_map(|(name, value)| Some((name, value.clone()?)))
                .collect();
            facts.extend((sent.channel.provider_id_label()).zip(sent.provider_id.clone()));
            // A message that left at the first try needs no count.
            if sent.attempt > 1 {
                facts.push(("Attempt", sent.attempt.to_string()));
            }
            facts
        }
        DeliveryEntry::Failed(failed) => vec![
            ("Attempt", failed.attempt.to_string()),
            ("Error", failed.error.clone()),
        ],
        DeliveryEntry::Stopped(stopped) => vec![("Why", stopped.reason.clone())],
    }
}

/// Name–value lines, such as [`entry_facts`].
#[component]
pub fn Facts(facts: Vec<(&'static str, String)>) -> impl IntoView {
    (!facts.is_empty()).then(|| {
        view! {
            <dl class="fields">
                {facts.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
        }
    })
}

/// The delivery in the detail panel; Retry schedules a failed one again and reloads the panel.
#[component]
pub fn DeliveryFacts(delivery: Delivery) -> impl IntoView {
    let session = expect_context::<Session>();
    let live = expect_context::<Live>();
    let id = delivery.id;
    let retry = Action::new_local(move |_: &()| {
        let csrf = session.csrf.clone();
        async move { api::retry_delivery(id, &csrf).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = retry.value().get() {
            live.changed();
        }
    });
    let facts = delivery_facts(&delivery, Utc::now());
    view! {
        <section class="delivery" aria-label="Delivery">
            <h3>"Delivery " <DeliveryBadge state=delivery.state/></h3>
            <Facts facts/>
            {(delivery.state == DeliveryState::Failed).then(|| view! {
                <button type="button" class="secondary" disabled=move || retry.pending().get()
                    on:click=move |_| { retry.dispatch(()); }>"Retry delivery"</button>
            })}
            {move || retry.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use inbox_domain::delivery::{DeliveryChannel, FailedAttemptEntry, SentEntry};
    use uuid::Uuid;

    fn delivery(state: DeliveryState, attempts: i32, deliver_at: DateTime<Utc>) -> Delivery {
        Delivery {
            id: Uuid::nil(),
            action_id: Uuid::nil(),
            channel: DeliveryChannel::Email,
            state,
            deliver_at,
            attempts,
            last_error: None,
            recipient: Some("zoe@cafe-ole.example".to_owned()),
            sender: None,
            subject: Some("Invoice".to_owned()),
            body_html: None,
            body_text: None,
            script: None,
            provider_id: None,
            created_at: deliver_at,
            sent_at: None,
        }
    }

    #[test]
    fn a_scheduled_delivery_says_when_it_leaves() {
        let now = Utc::now();
        let waiting = delivery(DeliveryState::Scheduled, 0, now + Duration::seconds(9));
        assert_eq!(
            delivery_facts(&waiting, now),
            [("Leaves", "in 9s".to_owned())]
        );
        let deferred = delivery(DeliveryState::Scheduled, 0, now + Duration::minutes(90));
        assert_eq!(
            delivery_facts(&deferred, now),
            [("Leaves", "in 1h 30m".to_owned())]
        );
        let due = delivery(DeliveryState::Scheduled, 0, now - Duration::seconds(1));
        assert_eq!(
            delivery_facts(&due, now),
            [("Leaves", "any moment now".to_owned())]
        );
    }

    #[test]
    fn a_retried_delivery_shows_its_attempts_and_why_the_last_failed() {
        let now = Utc::now();
        let retrying = Delivery {
            last_error: Some("connection refused".to_owned()),
            ..delivery(DeliveryState::Scheduled, 2, now + Duration::seconds(60))
        };
        assert_eq!(
            delivery_facts(&retrying, now),
            [
                ("Next attempt", "in 1m".to_owned()),
                ("Attempts", format!("2 of {MAX_ATTEMPTS}")),
                ("Last error", "connection refused".to_owned()),
            ]
        );
        let failed = Delivery {
            last_error: Some("mailbox unavailable".to_owned()),
            ..delivery(DeliveryState::Failed, MAX_ATTEMPTS, now)
        };
        assert_eq!(
            delivery_facts(&failed, now),
            [
                ("Attempts", format!("{MAX_ATTEMPTS} of {MAX_ATTEMPTS}")),
                ("Last error", "mailbox unavailable".to_owned()),
            ]
        );
    }

    #[test]
    fn a_sent_delivery_says_when_it_left() {
        let now = Utc::now();
        let sent = Delivery {
            sent_at: Some(now - Duration::hours(2)),
            provider_id: Some("<7@ai-inbox>".to_owned()),
            ..delivery(DeliveryState::Sent, 1, now - Duration::hours(3))
        };
        assert_eq!(
            delivery_facts(&sent, now),
            [
                ("Left", "2 hours ago".to_owned()),
                ("Message-ID", "<7@ai-inbox>".to_owned()),
            ]
        );
        let called = Delivery {
            channel: DeliveryChannel::Voice,
            provider_id: Some("call_42".to_owned()),
            ..sent
        };
        assert_eq!(
            delivery_facts(&called, now),
            [
                ("Left", "2 hours ago".to_owned()),
                ("Call id", "call_42".to_owned()),
            ]
        );
        let sent_at_last = Delivery {
            last_error: Some("timed out".to_owned()),
            ..delivery(DeliveryState::Sent, 3, now - Duration::minutes(5))
        };
        assert_eq!(
            delivery_facts(&sent_at_last, now),
            [
                ("Left", "5 minutes ago".to_owned()),
                ("Attempts", "3".to_owned()),
                ("Last error", "timed out".to_owned()),
            ]
        );
    }

    #[test]
    fn a_sent_entry_shows_where_the_message_went_and_its_id() {
        let sent = SentEntry {
            delivery_id: Uuid::nil(),
            channel: DeliveryChannel::Email,
            to: Some("zoe@cafe-ole.example".to_owned()),
            subject: Some("Invoice".to_owned()),
            provider_id: Some("<7@ai-inbox>".to_owned()),
            attempt: 1,
        };
        assert_eq!(
            entry_facts(&DeliveryEntry::Sent(sent.clone())),
            [
                ("To", "zoe@cafe-ole.example".to_owned()),
                ("Subject", "Invoice".to_owned()),
                ("Message-ID", "<7@ai-inbox>".to_owned()),
            ]
        );
        let note = SentEntry {
            channel: DeliveryChannel::Internal,
            to: None,
            provider_id: None,
            attempt: 2,
            ..sent
        };
        assert_eq!(
            entry_facts(&DeliveryEntry::Sent(note)),
            [
                ("Subject", "Invoice".to_owned()),
                ("Attempt", "2".to_owned()),
            ]
        );
    }

    #[test]
    fn a_failed_attempt_entry_says_which_and_why() {
        let failed = FailedAttemptEntry {
            delivery_id: Uuid::nil(),
            error: "SMTP: connection refused".to_owned(),
            attempt: 3,
            retry_at: None,
        };
        assert_eq!(
            entry_facts(&DeliveryEntry::Failed(failed)),
            [
                ("Attempt", "3".to_owned()),
                ("Error", "SMTP: connection refused".to_owned()),
            ]
        );
    }
}
