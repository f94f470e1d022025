//! Delivering what a person (or a trusted agent) approved: the channels, the states of a
//! delivery, and how long a failed one waits before it is tried again.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ActionType, Channel, EventKind};

crate::action::wire_enum! {
    /// How a delivery goes out.
    pub enum DeliveryChannel {
        /// An email over SMTP (or the built-in outbox when none is configured).
        Email => ("email", "Email"),
        /// A call script for the voice provider's webhook.
        Voice => ("voice", "Voice call"),
        /// Notes and tasks stay inside the business: recorded on the customer's history.
        Internal => ("internal", "Internal"),
    }
}

crate::action::wire_enum! {
    /// Where a delivery stands.
    pub enum DeliveryState {
        /// Waiting for its time: the undo window, or the opening hour of a deferred call.
        Scheduled => ("scheduled", "Scheduled"),
        /// A worker holds it and is sending it.
        Sending => ("sending", "Sending"),
        Sent => ("sent", "Sent"),
        /// Every attempt failed; a reviewer can try again.
        Failed => ("failed", "Failed"),
        /// Taken back before it left.
        Cancelled => ("cancelled", "Cancelled"),
        /// Not sent: when it was due to leave it no longer held (the customer acted after it
        /// was proposed, or the agent's precondition said so); `last_error` says why.
        Stopped => ("stopped", "Stopped"),
    }
}

/// How many times a delivery is tried before it is `failed`.
pub const MAX_ATTEMPTS: i32 = 5;
const FIRST_RETRY_SECONDS: i64 = 30;
const LONGEST_RETRY_SECONDS: i64 = 3600;

impl DeliveryChannel {
    /// The channel an action of this type is delivered on.
    pub fn for_action(action_type: ActionType) -> DeliveryChannel {
        match action_type.channel() {
            Some(Channel::Email) => DeliveryChannel::Email,
            Some(Channel::Voice) => DeliveryChannel::Voice,
            None => DeliveryChannel::Internal,
        }
    }

    /// What the provider's id for a delivery on this channel is called; `None` where there is
    /// no provider.
    pub const fn provider_id_label(self) -> Option<&'static str> {
        match self {
            DeliveryChannel::Email => Some("Message-ID"),
            DeliveryChannel::Voice => Some("Call id"),
            DeliveryChannel::Internal => None,
        }
    }
}

/// How long to wait after `failed_attempts` failures: 30 s doubling up to an hour, stretched by
/// `jitter` (0 to 1, up to a fifth more) so that many failures do not retry in step. The caller
/// draws the jitter: the domain has no randomness.
pub fn retry_delay(failed_attempts: i32, jitter: f64) -> Duration {
    let doublings = u32::try_from(failed_attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let base = FIRST_RETRY_SECONDS
        .saturating_mul(1_i64 << doublings)
        .min(LONGEST_RETRY_SECONDS);
    let stretch = (base as f64 * jitter.clamp(0.0, 1.0) / 5.0) as i64;
    Duration::seconds(base + stretch)
}

/// What the retry after a failed attempt should be: `Scheduled` again at the returned time, or
/// `Failed` for good.
pub fn after_failure(
    attempts: i32,
    now: DateTime<Utc>,
    jitter: f64,
) -> (DeliveryState, DateTime<Utc>) {
    if attempts >= MAX_ATTEMPTS {
        (DeliveryState::Failed, now)
    } else {
        (
            DeliveryState::Scheduled,
            now + retry_delay(attempts, jitter),
        )
    }
}

/// Where a delivery stands after its attempt number `previous_attempts + 1` failed: a
/// `permanent` failure (the receiver refused the message itself) is not tried again.
pub fn after_failed_attempt(
    previous_attempts: i32,
    permanent: bool,
    now: DateTime<Utc>,
    jitter: f64,
) -> (DeliveryState, DateTime<Utc>) {
    let attempts = if permanent {
        MAX_ATTEMPTS
    } else {
        previous_attempts + 1
    };
    after_failure(attempts, now, jitter)
}

/// Why an approval's delivery can no longer be taken back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotUndoable {
    /// It left, is leaving, or its undo window has passed.
    #[error("It was sent already: the undo window has passed.")]
    Sent,
    /// An attempt failed and another is scheduled. A failure does not prove that nothing
    /// arrived (an SMTP timeout after the data was taken, say), so it cannot be unsent.
    #[error(
        "Sending it was already attempted and it waits to be retried; the customer may have \
         received it, so it can no longer be undone."
    )]
    Retrying,
    /// Every attempt failed.
    #[error(
        "Sending it failed and it is not being retried; it can no longer be undone. Retry the \
         delivery or follow up by hand."
    )]
    Failed,
    /// It was stopped before it left: it no longer held, and nothing was sent.
    #[error("It was stopped before it left (it no longer held); nothing was sent.")]
    Stopped,
}

/// Whether a delivery can still be taken back at `now`: only one that was never tried and is
/// still inside its undo window (`deliver_at`, when a worker may take it, is the window's end).
pub fn check_undoable(
    state: DeliveryState,
    attempts: i32,
    deliver_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), NotUndoable> {
    match state {
        DeliveryState::Failed => Err(NotUndoable::Failed),
        DeliveryState::Stopped => Err(NotUndoable::Stopped),
        DeliveryState::Scheduled if attempts > 0 => Err(NotUndoable::Retrying),
        DeliveryState::Scheduled if now < deliver_at => Ok(()),
        DeliveryState::Scheduled
        | DeliveryState::Sending
        | DeliveryState::Sent
        | DeliveryState::Cancelled => Err(NotUndoable::Sent),
    }
}

/// One delivery as the API shows it: the exact message that went (or goes) out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: Uuid,
    pub action_id: Uuid,
    pub channel: DeliveryChannel,
    pub state: DeliveryState,
    /// When it may leave (after the undo window), or when it is tried again.
    pub deliver_at: DateTime<Utc>,
    /// How many times it was tried.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The email address or phone number it goes to.
    #[cfg_attr(feature = "openapi", schema(example = "zoe@cafe-ole.example"))]
    pub recipient: Option<String>,
    /// The From address of an email.
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub body_html: Option<String>,
    pub body_text: Option<String>,
    pub script: Option<String>,
    /// The email's `Message-ID`, or the voice provider's call id.
    pub provider_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// What the `sent` entry of an action's history records: where the delivery went, and which
/// attempt took it there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentEntry {
    pub delivery_id: Uuid,
    pub channel: DeliveryChannel,
    /// The email address or phone number; none for a note or task.
    pub to: Option<String>,
    pub subject: Option<String>,
    /// The email's `Message-ID`, or the voice provider's call id.
    pub provider_id: Option<String>,
    /// Which attempt took it there, from 1.
    pub attempt: i32,
}

/// What the `delivery_stopped` entry of an action's history records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoppedEntry {
    pub delivery_id: Uuid,
    /// Why it was not sent, for the reviewer.
    pub reason: String,
}

/// What the entry of a failed attempt records: `delivery_attempt_failed` (tried again at
/// `retry_at`) or `delivery_failed` (not tried again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedAttemptEntry {
    pub delivery_id: Uuid,
    /// Why it failed.
    pub error: String,
    /// Which attempt failed, from 1 (entries written before this type say `attempts`).
    #[serde(alias = "attempts")]
    pub attempt: i32,
    /// When it is tried again; none when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
}

/// What a history entry says about the action's delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryEntry {
    Sent(SentEntry),
    Failed(FailedAttemptEntry),
    Stopped(StoppedEntry),
}

impl DeliveryEntry {
    /// The delivery details of a history entry of `kind` with `data`; `None` for an entry of
    /// another kind, or one whose data has another shape.
    pub fn of(kind: EventKind, data: &serde_json::Value) -> Option<DeliveryEntry> {
        match kind {
            EventKind::Sent => SentEntry::deserialize(data).ok().map(DeliveryEntry::Sent),
            EventKind::DeliveryAttemptFailed | EventKind::DeliveryFailed => {
                FailedAttemptEntry::deserialize(data)
                    .ok()
                    .map(DeliveryEntry::Failed)
            }
            EventKind::DeliveryStopped => StoppedEntry::deserialize(data)
                .ok()
                .map(DeliveryEntry::Stopped),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn retries_double_from_thirty_seconds_up_to_an_hour() {
        let delays: Vec<i64> = (1..=9).map(|n| retry_delay(n, 0.0).num_seconds()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    #[test]
    fn the_last_attempt_fails_for_good() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            after_failure(1, now, 0.0),
            (DeliveryState::Scheduled, now + Duration::seconds(30))
        );
        assert_eq!(
            after_failure(MAX_ATTEMPTS, now, 0.5).0,
            DeliveryState::Failed
        );
    }

    #[test]
    fn a_refused_message_is_not_tried_again() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            after_failed_attempt(0, true, now, 0.0).0,
            DeliveryState::Failed
        );
        assert_eq!(
            after_failed_attempt(0, false, now, 0.0),
            (DeliveryState::Scheduled, now + Duration::seconds(30))
        );
    }

    #[test]
    fn only_an_untried_delivery_inside_its_window_can_be_taken_back() {
        let end = DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(10);
        let before = end - Duration::seconds(1);
        let undoable = |state, attempts, now| check_undoable(state, attempts, end, now);
        assert_eq!(undoable(DeliveryState::Scheduled, 0, before), Ok(()));
        assert_eq!(
            undoable(DeliveryState::Scheduled, 0, end),
            Err(NotUndoable::Sent),
            "the window's end is outside it"
        );
        assert_eq!(
            undoable(DeliveryState::Scheduled, 1, before),
            Err(NotUndoable::Retrying),
            "a retry scheduled later is no new window"
        );
        assert_eq!(
            undoable(DeliveryState::Failed, MAX_ATTEMPTS, before),
            Err(NotUndoable::Failed)
        );
        for state in [DeliveryState::Sending, DeliveryState::Sent] {
            assert_eq!(undoable(state, 0, before), Err(NotUndoable::Sent));
        }
    }

    #[test]
    fn notes_and_tasks_stay_inside() {
        assert_eq!(
            DeliveryChannel::for_action(ActionType::DraftMessage),
            DeliveryChannel::Email
        );
        assert_eq!(
            DeliveryChannel::for_action(ActionType::VoiceOutreach),
            DeliveryChannel::Voice
        );
        assert_eq!(
            DeliveryChannel::for_action(ActionType::TaskReminder),
            DeliveryChannel::Internal
        );
    }

    #[test]
    fn a_history_entry_reads_back_what_the_delivery_wrote() {
        let sent = SentEntry {
            delivery_id: Uuid::nil(),
            channel: DeliveryChannel::Email,
            to: Some("zoe@cafe-ole.example".to_owned()),
            subject: Some("Invoice".to_owned()),
            provider_id: Some("<1@ai-inbox>".to_owned()),
            attempt: 1,
        };
        let data = serde_json::to_value(&sent).expect("serialises");
        assert_eq!(
            DeliveryEntry::of(EventKind::Sent, &data),
            Some(DeliveryEntry::Sent(sent))
        );
        assert_eq!(DeliveryEntry::of(EventKind::Edited, &data), None);
        let older = serde_json::json!({ "delivery_id": Uuid::nil(), "error": "SMTP: refused", "attempts": 5 });
        assert_eq!(
            DeliveryEntry::of(EventKind::DeliveryFailed, &older),
            Some(DeliveryEntry::Failed(FailedAttemptEntry {
                delivery_id: Uuid::nil(),
                error: "SMTP: refused".to_owned(),
                attempt: 5,
                retry_at: None,
            }))
        );
        assert_eq!(
            DeliveryEntry::of(EventKind::Sent, &serde_json::json!({})),
            None
        );
    }

    proptest! {
        #[test]
        fn jitter_only_ever_adds_up_to_a_fifth(attempts in 0i32..100, jitter in 0.0f64..=1.0) {
            let plain = retry_delay(attempts, 0.0).num_seconds();
            let jittered = retry_delay(attempts, jitter).num_seconds();
            prop_assert!(jittered >= plain);
            prop_assert!(jittered <= plain + plain / 5);
            prop_assert!((FIRST_RETRY_SECONDS..=LONGEST_RETRY_SECONDS).contains(&plain));
        }
    }
}
