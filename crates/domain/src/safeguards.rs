//! What a reviewer is asked to confirm before a decision goes ahead, and who is reviewing what.
//!
//! Presence: opening an action takes a short review lease, renewed while the panel stays open;
//! others see who holds it. Safeguards: another reviewer's live lease, a customer contacted as
//! often as the location allows, a confidence under the location's floor. They are advice, never
//! locks: a decision that meets a warning needing confirmation is refused with the warnings and
//! goes ahead when sent again acknowledging them; leases end by themselves; the version check
//! stays the final word.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{problem::FieldErrors, Confidence, FieldError};

/// How long a review lease lasts unless renewed. The app renews it every third of this while the
/// panel is open and its tab visible, so a closed laptop frees the action within a minute.
pub const LEASE_SECONDS: i64 = 60;

/// The most messages a contact cap can allow, and the longest window it can count over.
pub const MAX_CAP_MESSAGES: u32 = 100;
pub const MAX_CAP_WINDOW_DAYS: u32 = 90;

/// Who is reviewing an action, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewLease {
    pub action_id: Uuid,
    /// Who holds it, as an action's history names actors: `user:<id>` or `key:<id>`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "user:0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57")
    )]
    pub reviewer_id: String,
    /// Their name, as the app shows it ("Ana is reviewing").
    #[cfg_attr(feature = "openapi", schema(example = "Ana Reviewer"))]
    pub reviewer_name: String,
    /// When it ends unless renewed.
    pub expires_at: DateTime<Utc>,
}

impl ReviewLease {
    /// A lease taken or renewed by `reviewer` at `now`.
    pub fn taken(
        action_id: Uuid,
        reviewer_id: &str,
        reviewer_name: &str,
        now: DateTime<Utc>,
    ) -> Self {
        ReviewLease {
            action_id,
            reviewer_id: reviewer_id.to_owned(),
            reviewer_name: reviewer_name.to_owned(),
            expires_at: now + Duration::seconds(LEASE_SECONDS),
        }
    }

    /// Whether it still holds at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }

    /// Whether someone other than `reviewer_id` holds it at `now`.
    pub fn held_by_another(&self, reviewer_id: &str, now: DateTime<Utc>) -> bool {
        self.is_live(now) && self.reviewer_id != reviewer_id
    }
}

/// A change of who is reviewing an action, as the event stream's `presence` event carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceChanged {
    pub action_id: Uuid,
    /// The lease taken or renewed; `null` when it was released.
    pub lease: Option<ReviewLease>,
}

crate::action::wire_enum! {
    /// Something a reviewer should know before a decision goes ahead.
    pub enum ReviewWarning {
        /// Another reviewer holds the action's review lease.
        HeldByAnother => ("held_by_another", "Someone else is reviewing it"),
        /// Sending would exceed the location's cap on messages to one customer.
        ContactCap => ("contact_cap", "Contacted too often"),
        /// The agent's confidence is under the location's review floor.
        LowConfidence => ("low_confidence", "Low confidence"),
    }
}

impl ReviewWarning {
    /// Whether a decision waits for the reviewer to confirm it; low confidence is only pointed
    /// out (the pre-flight counts such an action as not clean).
    pub const fn needs_confirmation(self) -> bool {
        !matches!(self, ReviewWarning::LowConfidence)
    }
}

/// A warning about one action, in words for the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarningNotice {
    pub warning: ReviewWarning,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Ana Reviewer is reviewing this action.")
    )]
    pub detail: String,
}

/// At most `max_messages` outbound messages (emails and calls, across all agents) to one
/// customer in any `window_days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactCap {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100, example = 2))]
    pub max_messages: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 90, example = 7))]
    pub window_days: u32,
}

impl ContactCap {
    /// Where the window counted back from `now` starts.
    pub fn window_start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.window_days))
    }
}

/// A location's review safeguards (`GET`/`PUT /api/v1/settings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"contact_cap": {"max_messages": 2, "window_days": 7}, "review_confidence_floor": 60})))]
#[serde(deny_unknown_fields)]
pub struct LocationSettings {
    /// The cap on messages to one customer; `null` for none.
    #[serde(default)]
    pub contact_cap: Option<ContactCap>,
    /// Actions whose confidence is under this percentage are pointed out before a bulk
    /// approval; `null` for none.
    #[serde(default)]
    pub review_confidence_floor: Option<Confidence>,
    /// The share (percent) of what trusted agents send alone that is set aside for a person to
    /// check (the Audit view); `null` for none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100, example = 10))]
    pub audit_share: Option<u8>,
    /// A Slack-compatible incoming webhook: new critical actions and actions about to expire
    /// are posted there as text (summary, customer, agent, a link into the app); `null` for
    /// none. Only admins read it back: the URL is the channel's credential.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = "^https?://[^\\s]+$",
            example = "https://hooks.slack.com/services/T000/B000/XXXX"
        )
    )]
    pub slack_webhook_url: Option<String>,
}

/// The longest team-channel webhook URL taken.
pub const MAX_WEBHOOK_URL_LEN: usize = 2000;

impl LocationSettings {
    /// Checks the ranges the types cannot say.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        if let Some(cap) = self.contact_cap {
            if !(1..=MAX_CAP_MESSAGES).contains(&cap.max_messages) {
                errors.add(
                    "contact_cap.max_messages",
                    format!("must be from 1 to {MAX_CAP_MESSAGES}"),
                );
            }
            if !(1..=MAX_CAP_WINDOW_DAYS).contains(&cap.window_days) {
                errors.add(
                    "contact_cap.window_days",
                    format!("must be from 1 to {MAX_CAP_WINDOW_DAYS}"),
                );
            }
        }
        if self.audit_share.is_some_and(|share| share > 100) {
            errors.add("audit_share", "must be a percentage from 0 to 100");
        }
        if let Some(url) = &self.slack_webhook_url {
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            if !scheme_ok || url.chars().any(char::is_whitespace) || url.len() > MAX_WEBHOOK_URL_LEN
            {
                errors.add(
                    "slack_webhook_url",
                    format!("must be an http(s) URL of at most {MAX_WEBHOOK_URL_LEN} characters"),
                );
            }
        }
        errors.finish(())
    }

    /// Whether action `id`, sent alone by its agent, is set aside for a person to check: the
    /// same answer every time for the same id, and about `audit_share` of all ids.
    pub fn sampled_for_audit(&self, id: Uuid) -> bool {
        let share = u128::from(self.audit_share.unwrap_or(0));
        // The low bits of a v7 id are random.
        id.as_u128() % 100 < share
    }

    /// The warning for sending one more message to `customer`, who has been sent `sent` in the
    /// cap's window (counting those approved and still waiting to leave).
    pub fn contact_cap_warning(&self, sent: u64, customer: &str) -> Option<WarningNotice> {
        let cap = self.contact_cap?;
        (sent >= u64::from(cap.max_messages)).then(|| WarningNotice {
            warning: ReviewWarning::ContactCap,
            detail: format!(
                "{customer} has been sent {sent} {} in the last {} {}; the location's cap is {}.",
                plural(sent, "message", "messages"),
                cap.window_days,
                plural(u64::from(cap.window_days), "day", "days"),
                cap.max_messages,
            ),
        })
    }

    /// The warning for an action proposed with `confidence`.
    pub fn low_confidence_warning(&self, confidence: Confidence) -> Option<WarningNotice> {
        let floor = self.review_confidence_floor?;
        (confidence < floor).then(|| WarningNotice {
            warning: ReviewWarning::LowConfidence,
            detail: format!(
                "The agent is {}% confident, under the location's {}%.",
                confidence.percent(),
                floor.percent()
            ),
        })
    }
}

impl LocationSettings {
    /// What a reviewer should know before approving an action for `customer` proposed with
    /// `confidence`: `outbound` when it reaches the customer (an email or a call, not a note or
    /// a task), and `sent` the messages the customer has had in the cap's window.
    pub fn approval_warnings(
        &self,
        outbound: bool,
        sent: u64,
        customer: &str,
        confidence: Confidence,
    ) -> Vec<WarningNotice> {
        let capped = outbound
            .then(|| self.contact_cap_warning(sent, customer))
            .flatten();
        capped
            .into_iter()
            .chain(self.low_confidence_warning(confidence))
            .collect()
    }
}

/// The warning for deciding an action `lease` covers, for `reviewer_id` at `now`.
pub fn held_warning(
    lease: Option<&ReviewLease>,
    reviewer_id: &str,
    now: DateTime<Utc>,
) -> Option<WarningNotice> {
    let lease = lease.filter(|lease| lease.held_by_another(reviewer_id, now))?;
    Some(WarningNotice {
        warning: ReviewWarning::HeldByAnother,
        detail: format!("{} is reviewing this action.", lease.reviewer_name),
    })
}

/// The warnings that hold a decision back: those needing confirmation the reviewer has not
/// acknowledged.
pub fn unconfirmed<'a>(
    warnings: &'a [WarningNotice],
    acknowledged: &[ReviewWarning],
) -> Vec<&'a WarningNotice> {
    warnings
        .iter()
        .filter(|notice| {
            notice.warning.needs_confirmation() && !acknowledged.contains(&notice.warning)
        })
        .collect()
}

fn plural(count: u64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn percent(value: i64) -> Confidence {
        Confidence::try_from(value).expect("0 to 100")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(seconds)
    }

    fn cap(max_messages: u32, window_days: u32) -> LocationSettings {
        LocationSettings {
            contact_cap: Some(ContactCap {
                max_messages,
                window_days,
            }),
            ..LocationSettings::default()
        }
    }

    #[test]
    fn about_the_share_asked_is_set_aside_for_audit_and_always_the_same_ones() {
        // Spread like the random low bits of v7 ids.
        let ids: Vec<Uuid> = (1..=2_000u128)
            .map(|n| Uuid::from_u128(n.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)))
            .collect();
        let share = |audit_share| LocationSettings {
            audit_share,
            ..LocationSettings::default()
        };
        let sampled = |settings: &LocationSettings| {
            ids.iter()
                .filter(|id| settings.sampled_for_audit(**id))
                .count()
        };
        assert_eq!(sampled(&share(None)), 0);
        assert_eq!(sampled(&share(Some(100))), ids.len());
        let tenth = sampled(&share(Some(10)));
        assert!((100..=300).contains(&tenth), "about a tenth: {tenth}");
        assert_eq!(sampled(&share(Some(10))), tenth, "the same ones again");
    }

    #[test]
    fn a_lease_lasts_a_minute_and_never_warns_its_holder() {
        let lease = ReviewLease::taken(Uuid::nil(), "user:ana", "Ana", at(0));
        assert!(lease.is_live(at(59)));
        assert!(!lease.is_live(at(60)));
        assert_eq!(held_warning(Some(&lease), "user:ana", at(1)), None);
        assert_eq!(
            held_warning(Some(&lease), "user:ben", at(1)).map(|n| n.detail),
            Some("Ana is reviewing this action.".to_owned())
        );
        assert_eq!(held_warning(Some(&lease), "user:ben", at(60)), None);
        assert_eq!(held_warning(None, "user:ben", at(1)), None);
    }

    #[test]
    fn the_cap_warns_once_the_customer_has_had_as_many_as_it_allows() {
        let settings = cap(2, 7);
        assert_eq!(settings.contact_cap_warning(1, "John Smith"), None);
        assert_eq!(
            settings
                .contact_cap_warning(2, "John Smith")
                .map(|n| n.detail),
            Some(
                "John Smith has been sent 2 messages in the last 7 days; the location's cap is 2."
                    .to_owned()
            )
        );
        assert_eq!(
            cap(1, 1).contact_cap_warning(1, "Zoë").map(|n| n.detail),
            Some(
                "Zoë has been sent 1 message in the last 1 day; the location's cap is 1."
                    .to_owned()
            )
        );
        assert_eq!(
            LocationSettings::default().contact_cap_warning(50, "Zoë"),
            None
        );
    }

    #[test]
    fn confidence_under_the_floor_is_pointed_out_but_needs_no_confirmation() {
        let settings = LocationSettings {
            review_confidence_floor: Some(percent(60)),
            ..LocationSettings::default()
        };
        let low = settings
            .low_confidence_warning(percent(59))
            .expect("under the floor");
        assert_eq!(
            low.detail,
            "The agent is 59% confident, under the location's 60%."
        );
        assert_eq!(settings.low_confidence_warning(percent(60)), None);
        assert!(unconfirmed(&[low], &[]).is_empty());
    }

    #[test]
    fn settings_out_of_range_are_named() {
        assert_eq!(cap(2, 7).validate(), Ok(()));
        let fields: Vec<String> = cap(0, 91)
            .validate()
            .expect_err("out of range")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["contact_cap.max_messages", "contact_cap.window_days"]
        );
    }

    #[test]
    fn notes_and_tasks_are_never_capped() {
        let settings = LocationSettings {
            review_confidence_floor: Some(percent(60)),
            ..cap(1, 7)
        };
        let sure = percent(90);
        let kinds = |outbound, confidence| -> Vec<ReviewWarning> {
            settings
                .approval_warnings(outbound, 5, "Zoë", confidence)
                .into_iter()
                .map(|n| n.warning)
                .collect()
        };
        assert_eq!(kinds(true, sure), [ReviewWarning::ContactCap]);
        assert!(kinds(false, sure).is_empty());
        assert_eq!(kinds(false, percent(10)), [ReviewWarning::LowConfidence]);
    }

    fn warning() -> impl Strategy<Value = ReviewWarning> {
        proptest::sample::select(ReviewWarning::ALL)
    }

    proptest! {
        /// A decision is held back exactly by the warnings needing confirmation that were not
        /// acknowledged: acknowledging every warning found always lets it through.
        #[test]
        fn only_unacknowledged_confirmations_hold_a_decision_back(
            found in proptest::collection::vec(warning(), 0..4),
            acknowledged in proptest::collection::vec(warning(), 0..4),
        ) {
            let notices: Vec<WarningNotice> = found
                .iter()
                .map(|w| WarningNotice { warning: *w, detail: String::new() })
                .collect();
            let held: Vec<ReviewWarning> =
                unconfirmed(&notices, &acknowledged).iter().map(|n| n.warning).collect();
            for w in &held {
                prop_assert!(w.needs_confirmation() && !acknowledged.contains(w));
            }
            for w in &found {
                prop_assert_eq!(
                    held.contains(w),
                    w.needs_confirmation() && !acknowledged.contains(w)
                );
            }
            prop_assert!(unconfirmed(&notices, &found).is_empty());
        }

        /// Whoever holds a live lease is never warned about it; anyone else always is, until
        /// it ends.
        #[test]
        fn a_lease_warns_everyone_but_its_holder_until_it_ends(
            taken in 0i64..1_000_000, later in 0i64..200,
        ) {
            let lease = ReviewLease::taken(Uuid::nil(), "user:a", "A", at(taken));
            let now = at(taken + later);
            prop_assert!(held_warning(Some(&lease), "user:a", now).is_none());
            prop_assert_eq!(
                held_warning(Some(&lease), "user:b", now).is_some(),
                later < LEASE_SECONDS
            );
        }
    }
}
