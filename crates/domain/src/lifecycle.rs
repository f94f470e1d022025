//! The status state machine of a proposed action.
//!
//! A status is stored and reloaded, so the machine works on a runtime value: [`Lifecycle`]
//! holds the status and the times that drive it, [`Lifecycle::apply`] takes one
//! [`LifecycleEvent`] and returns the [`Transition`] or a typed [`TransitionError`]. The match is
//! exhaustive over (status, event); final statuses have no outgoing arm.
//!
//! Time is an input: timers (snooze wake-up, deferral release, expiry) are events that the
//! sweeps raise, and [`Lifecycle::status_at`] says what a reader must see between two sweeps.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::action::wire_enum! {
    /// Where an action stands.
    pub enum ActionStatus {
        /// Awaiting review. The default view.
        Pending => ("pending", "Pending"),
        /// Reviewed and sent.
        Approved => ("approved", "Approved"),
        /// Dismissed by a reviewer, with a reason.
        Rejected => ("rejected", "Rejected"),
        /// Put off by a reviewer; returns to pending when `snoozed_until` passes.
        Snoozed => ("snoozed", "Snoozed"),
        /// Held until `deferred_until` (a `not_before` time, or business hours for an approved call).
        Deferred => ("deferred", "Deferred"),
        /// Its time window passed before anyone decided.
        Expired => ("expired", "Expired"),
        /// Sent without review: the agent's auto-execute is on for it.
        AutoExecuted => ("auto_executed", "AutoExecuted"),
    }
}

impl ActionStatus {
    /// A final status never changes again.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            ActionStatus::Approved
                | ActionStatus::Rejected
                | ActionStatus::Expired
                | ActionStatus::AutoExecuted
        )
    }
}

/// What can happen to an action after it was proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LifecycleEvent {
    /// A reviewer approves (possibly with edits) and it is sent now.
    Approve,
    /// A reviewer approves, but delivery waits until `send_at` (a call outside business hours).
    ApproveForLater { send_at: DateTime<Utc> },
    /// A reviewer dismisses it.
    Reject,
    /// A reviewer puts it off until a future time.
    Snooze { until: DateTime<Utc> },
    /// The snooze time has come.
    SnoozeElapsed,
    /// The deferral time has come.
    DeferralElapsed,
    /// The expiry time has come while nobody had decided.
    Expire,
}

impl LifecycleEvent {
    /// A stable name for the event, as recorded in an action's history.
    pub const fn name(self) -> &'static str {
        match self {
            LifecycleEvent::Approve => "approved",
            LifecycleEvent::ApproveForLater { .. } => "approved_for_later",
            LifecycleEvent::Reject => "rejected",
            LifecycleEvent::Snooze { .. } => "snoozed",
            LifecycleEvent::SnoozeElapsed => "snooze_elapsed",
            LifecycleEvent::DeferralElapsed => "deferral_elapsed",
            LifecycleEvent::Expire => "expired",
        }
    }

    /// Whether a person raises this event (it counts as a review), rather than a timer.
    pub const fn is_review(self) -> bool {
        matches!(
            self,
            LifecycleEvent::Approve
                | LifecycleEvent::ApproveForLater { .. }
                | LifecycleEvent::Reject
                | LifecycleEvent::Snooze { .. }
        )
    }
}

/// The state of an action that the machine reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    pub status: ActionStatus,
    /// Undecided actions expire at this time.
    pub expires_at: DateTime<Utc>,
    /// While snoozed: when it returns to pending.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// While deferred: when it is released.
    pub deferred_until: Option<DateTime<Utc>>,
    /// A reviewer approved it and only delivery is waiting: release sends it, expiry no longer
    /// applies.
    pub approved_awaiting_send: bool,
}

/// A successful step of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The status a reader saw just before the event.
    pub from: ActionStatus,
    pub to: ActionStatus,
    pub event: LifecycleEvent,
    /// The state after the event.
    pub next: Lifecycle,
}

/// Why an event does not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The action's current status does not allow this event (a final status allows none).
    #[error("a {} action cannot be {}", .status, .event.name())]
    NotAllowed {
        status: ActionStatus,
        event: LifecycleEvent,
    },
    /// A timer event raised before its time.
    #[error("{} is not due yet", .event.name())]
    NotDue { event: LifecycleEvent },
    /// A snooze or send time that is not in the future.
    #[error("the time must be in the future")]
    TimeNotInFuture,
}

/// Why a proposal cannot start a lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProposalTimingError {
    #[error("expires_at must be in the future")]
    ExpiryNotInFuture,
    #[error("not_before must be earlier than expires_at")]
    NotBeforeAfterExpiry,
}

impl Lifecycle {
    /// The lifecycle of a newly proposed action: held as `deferred` until `not_before` when that
    /// is in the future, sent at once as `auto_executed` when the agent may act alone, otherwise
    /// `pending`.
    pub fn proposed(
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        not_before: Option<DateTime<Utc>>,
        auto_execute: bool,
    ) -> Result<Lifecycle, ProposalTimingError> {
        if expires_at <= now {
            return Err(ProposalTimingError::ExpiryNotInFuture);
        }
        let hold_until = not_before.filter(|at| *at > now);
        if hold_until.is_some_and(|at| at >= expires_at) {
            return Err(ProposalTimingError::NotBeforeAfterExpiry);
        }
        let status = match (hold_until, auto_execute) {
            (Some(_), _) => ActionStatus::Deferred,
            (None, true) => ActionStatus::AutoExecuted,
            (None, false) => ActionStatus::Pending,
        };
        Ok(Lifecycle {
            status,
            expires_at,
            snoozed_until: None,
            deferred_until: hold_until,
            approved_awaiting_send: false,
        })
    }

    /// Whether the action still waits for a person's decision and so can expire.
    fn undecided(&self) -> bool {
        match self.status {
            ActionStatus::Pending | ActionStatus::Snoozed => true,
            ActionStatus::Deferred => !self.approved_awaiting_send,
            ActionStatus::Approved
            | ActionStatus::Rejected
            | ActionStatus::Expired
            | ActionStatus::AutoExecuted => false,
        }
    }

    /// The timer event that is due at `now`, if any. Expiry wins over a wake-up that is due at
    /// the same sweep: an action whose window has closed never comes back as pending.
    pub fn due_event(&self, now: DateTime<Utc>) -> Option<LifecycleEvent> {
        if self.undecided() && self.expires_at <= now {
            return Some(LifecycleEvent::Expire);
        }
        match self.status {
            ActionStatus::Snoozed if self.snoozed_until.is_some_and(|at| at <= now) => {
                Some(LifecycleEvent::SnoozeElapsed)
            }
            ActionStatus::Deferred if self.deferred_until.is_some_and(|at| at <= now) => {
                Some(LifecycleEvent::DeferralElapsed)
            }
            _ => None,
        }
    }

    /// The timer transitions that are due at `now` but not yet applied, in order. Readers take
    /// them as done; a writer records them before its own change.
    pub fn due_transitions(&self, now: DateTime<Utc>) -> Vec<Transition> {
        let mut steps: Vec<Transition> = Vec::new();
        let mut current = *self;
        // Each timer event moves to a status with fewer pending timers, so this ends in at most
        // two steps (e.g. snooze wake-up is never followed by another wake-up).
        while let Some(event) = current.due_event(now) {
            match current.apply_at(event, now) {
                Ok(transition) => {
                    current = transition.next;
                    steps.push(transition);
                }
                Err(_) => break,
            }
        }
        steps
    }

    /// The lifecycle as it stands at `now` once every due timer has fired. Readers use it so an
    /// action never shows as pending after its expiry, even before the next sweep.
    pub fn settled_at(&self, now: DateTime<Utc>) -> Lifecycle {
        self.due_transitions(now)
            .last()
            .map_or(*self, |step| step.next)
    }

    /// The status a reader sees at `now`.
    pub fn status_at(&self, now: DateTime<Utc>) -> ActionStatus {
        self.settled_at(now).status
    }

    /// Applies `event` at `now`. Review events are judged against the status a reader sees at
    /// `now` (so an action past its expiry cannot be approved even before the sweep ran).
    pub fn apply(
        &self,
        event: LifecycleEvent,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        if event.is_review() {
            self.settled_at(now).apply_at(event, now)
        } else {
            self.apply_at(event, now)
        }
    }

    fn apply_at(
        &self,
        event: LifecycleEvent,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        use ActionStatus as S;
        use LifecycleEvent as E;
        let not_allowed = || TransitionError::NotAllowed {
            status: self.status,
            event,
        };
        let not_due = || TransitionError::NotDue { event };
        let cleared = Lifecycle {
            snoozed_until: None,
            deferred_until: None,
            ..*self
        };
        let next = match (self.status, event) {
            (S::Pending | S::Snoozed, E::Approve) => Lifecycle {
                status: S::Approved,
                ..cleared
            },
            (S::Pending | S::Snoozed, E::ApproveForLater { send_at }) => {
                if send_at <= now {
                    return Err(TransitionError::TimeNotInFuture);
                }
                Lifecycle {
                    status: S::Deferred,
                    deferred_until: Some(send_at),
                    approved_awaiting_send: true,
                    ..cleared
                }
            }
            (S::Pending | S::Snoozed, E::Reject) => Lifecycle {
                status: S::Rejected,
                ..cleared
            },
            (S::Pending, E::Snooze { until }) => {
                if until <= now {
                    return Err(TransitionError::TimeNotInFuture);
                }
                Lifecycle {
                    status: S::Snoozed,
                    snoozed_until: Some(until),
                    ..cleared
                }
            }
            (S::Snoozed, E::SnoozeElapsed) => {
                if self.snoozed_until.is_none_or(|at| at > now) {
                    return Err(not_due());
                }
                Lifecycle {
                    status: S::Pending,
                    ..cleared
                }
            }
            (S::Deferred, E::DeferralElapsed) => {
                if self.deferred_until.is_none_or(|at| at > now) {
                    return Err(not_due());
                }
                let status = if self.approved_awaiting_send {
                    S::Approved
                } else {
                    S::Pending
                };
                Lifecycle {
                    status,
                    approved_awaiting_send: false,
                    ..cleared
                }
            }
            (S::Pending | S::Snoozed | S::Deferred, E::Expire) => {
                if !self.undecided() {
                    return Err(not_allowed());
                }
                if self.expires_at > now {
                    return Err(not_due());
                }
                Lifecycle {
                    status: S::Expired,
                    ..cleared
                }
            }
            // A snoozed action is snoozed again only after it woke; a deferred one is not
            // reviewable until it is released.
            (S::Snoozed, E::Snooze { .. })
            | (S::Pending, E::SnoozeElapsed | E::DeferralElapsed)
            | (S::Snoozed, E::DeferralElapsed)
            | (
                S::Deferred,
                E::Approve
                | E::ApproveForLater { .. }
                | E::Reject
                | E::Snooze { .. }
                | E::SnoozeElapsed,
            ) => return Err(not_allowed()),
            // Final statuses: nothing moves them.
            (S::Approved | S::Rejected | S::Expired | S::AutoExecuted, _) => {
                return Err(not_allowed())
            }
        };
        Ok(Transition {
            from: self.status,
            to: next.status,
            event,
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::hours(hours)
    }

    fn pending(expires_in_hours: i64) -> Lifecycle {
        Lifecycle::proposed(at(0), at(expires_in_hours), None, false).expect("valid proposal")
    }

    #[test]
    fn a_proposal_is_pending_deferred_or_auto_executed() {
        assert_eq!(pending(10).status, ActionStatus::Pending);
        let held = Lifecycle::proposed(at(0), at(10), Some(at(2)), false).expect("valid");
        assert_eq!(held.status, ActionStatus::Deferred);
        assert_eq!(held.deferred_until, Some(at(2)));
        let auto = Lifecycle::proposed(at(0), at(10), None, true).expect("valid");
        assert_eq!(auto.status, ActionStatus::AutoExecuted);
        // A `not_before` already past does not hold the action.
        let past = Lifecycle::proposed(at(5), at(10), Some(at(2)), false).expect("valid");
        assert_eq!(past.status, ActionStatus::Pending);
    }

    #[test]
    fn a_proposal_needs_a_future_expiry_after_its_hold() {
        assert_eq!(
            Lifecycle::proposed(at(5), at(5), None, false),
            Err(ProposalTimingError::ExpiryNotInFuture)
        );
        assert_eq!(
            Lifecycle::proposed(at(0), at(5), Some(at(5)), false),
            Err(ProposalTimingError::NotBeforeAfterExpiry)
        );
    }

    #[test]
    fn pending_can_be_approved_rejected_snoozed_or_expire() {
        let action = pending(10);
        let approve = action
            .apply(LifecycleEvent::Approve, at(1))
            .expect("allowed");
        assert_eq!(
            (approve.from, approve.to),
            (ActionStatus::Pending, ActionStatus::Approved)
        );
        let reject = action
            .apply(LifecycleEvent::Reject, at(1))
            .expect("allowed");
        assert_eq!(reject.to, ActionStatus::Rejected);
        let snooze = action
            .apply(LifecycleEvent::Snooze { until: at(3) }, at(1))
            .expect("allowed");
        assert_eq!(snooze.to, ActionStatus::Snoozed);
        assert_eq!(snooze.next.snoozed_until, Some(at(3)));
        let expire = action.apply(LifecycleEvent::Expire, at(10)).expect("due");
        assert_eq!(expire.to, ActionStatus::Expired);
    }

    #[test]
    fn snooze_needs_a_future_time() {
        assert_eq!(
            pending(10).apply(LifecycleEvent::Snooze { until: at(1) }, at(1)),
            Err(TransitionError::TimeNotInFuture)
        );
    }

    #[test]
    fn a_snoozed_action_wakes_up_pending_and_can_be_decided_directly() {
        let snoozed = pending(10)
            .apply(LifecycleEvent::Snooze { until: at(3) }, at(1))
            .expect("allowed")
            .next;
        assert_eq!(
            snoozed.apply(LifecycleEvent::SnoozeElapsed, at(2)),
            Err(TransitionError::NotDue {
                event: LifecycleEvent::SnoozeElapsed
            })
        );
        let woke = snoozed
            .apply(LifecycleEvent::SnoozeElapsed, at(3))
            .expect("due");
        assert_eq!(woke.to, ActionStatus::Pending);
        assert_eq!(woke.next.snoozed_until, None);
        assert_eq!(
            snoozed
                .apply(LifecycleEvent::Approve, at(2))
                .expect("allowed")
                .to,
            ActionStatus::Approved
        );
        assert_eq!(
            snoozed
                .apply(LifecycleEvent::Reject, at(2))
                .expect("allowed")
                .to,
            ActionStatus::Rejected
        );
        assert!(matches!(
            snoozed.apply(LifecycleEvent::Snooze { until: at(5) }, at(2)),
            Err(TransitionError::NotAllowed { .. })
        ));
        // Once its time has come it reads as pending and may be snoozed again.
        assert_eq!(snoozed.status_at(at(4)), ActionStatus::Pending);
        assert_eq!(
            snoozed
                .apply(LifecycleEvent::Snooze { until: at(6) }, at(4))
                .expect("allowed")
                .to,
            ActionStatus::Snoozed
        );
    }

    #[test]
    fn a_deferred_proposal_is_released_to_pending_and_not_reviewable_before() {
        let held = Lifecycle::proposed(at(0), at(10), Some(at(2)), false).expect("valid");
        assert!(matches!(
            held.apply(LifecycleEvent::Approve, at(1)),
            Err(TransitionError::NotAllowed { .. })
        ));
        assert!(matches!(
            held.apply(LifecycleEvent::DeferralElapsed, at(1)),
            Err(TransitionError::NotDue { .. })
        ));
        let released = held
            .apply(LifecycleEvent::DeferralElapsed, at(2))
            .expect("due");
        assert_eq!(released.to, ActionStatus::Pending);
        assert_eq!(held.status_at(at(2)), ActionStatus::Pending);
    }

    #[test]
    fn an_approval_held_for_business_hours_is_sent_on_release_and_never_expires() {
        let held = pending(4)
            .apply(LifecycleEvent::ApproveForLater { send_at: at(8) }, at(1))
            .expect("allowed")
            .next;
        assert_eq!(held.status, ActionStatus::Deferred);
        assert!(held.approved_awaiting_send);
        assert_eq!(
            held.status_at(at(6)),
            ActionStatus::Deferred,
            "past expiry, still approved"
        );
        assert!(matches!(
            held.apply(LifecycleEvent::Expire, at(6)),
            Err(TransitionError::NotAllowed { .. })
        ));
        let sent = held
            .apply(LifecycleEvent::DeferralElapsed, at(8))
            .expect("due");
        assert_eq!(sent.to, ActionStatus::Approved);
        assert!(!sent.next.approved_awaiting_send);
    }

    #[test]
    fn an_action_past_its_expiry_reads_expired_and_cannot_be_decided() {
        let action = pending(5);
        assert_eq!(action.status_at(at(4)), ActionStatus::Pending);
        assert_eq!(action.status_at(at(5)), ActionStatus::Expired);
        assert_eq!(
            action.apply(LifecycleEvent::Approve, at(5)),
            Err(TransitionError::NotAllowed {
                status: ActionStatus::Expired,
                event: LifecycleEvent::Approve
            })
        );
        assert!(matches!(
            action.apply(LifecycleEvent::Expire, at(4)),
            Err(TransitionError::NotDue { .. })
        ));
    }

    #[test]
    fn expiry_wins_over_a_wake_up_due_at_the_same_time() {
        let snoozed = pending(5)
            .apply(LifecycleEvent::Snooze { until: at(3) }, at(1))
            .expect("allowed")
            .next;
        assert_eq!(snoozed.due_event(at(6)), Some(LifecycleEvent::Expire));
        assert_eq!(snoozed.status_at(at(6)), ActionStatus::Expired);
    }

    #[test]
    fn due_timers_are_listed_in_the_order_they_fire() {
        let snoozed = pending(10)
            .apply(LifecycleEvent::Snooze { until: at(3) }, at(1))
            .expect("allowed")
            .next;
        assert!(snoozed.due_transitions(at(2)).is_empty());
        let woke: Vec<_> = snoozed
            .due_transitions(at(4))
            .iter()
            .map(|t| (t.from, t.to))
            .collect();
        assert_eq!(woke, [(ActionStatus::Snoozed, ActionStatus::Pending)]);
        let expired: Vec<_> = snoozed
            .due_transitions(at(11))
            .iter()
            .map(|t| t.event)
            .collect();
        assert_eq!(
            expired,
            [LifecycleEvent::Expire],
            "expiry wins over a wake-up"
        );
    }

    #[test]
    fn final_statuses_allow_nothing() {
        let events = [
            LifecycleEvent::Approve,
            LifecycleEvent::ApproveForLater { send_at: at(50) },
            LifecycleEvent::Reject,
            LifecycleEvent::Snooze { until: at(50) },
            LifecycleEvent::SnoozeElapsed,
            LifecycleEvent::DeferralElapsed,
            LifecycleEvent::Expire,
        ];
        for status in ActionStatus::ALL.iter().copied().filter(|s| s.is_final()) {
            let action = Lifecycle {
                status,
                ..pending(10)
            };
            for event in events {
                assert_eq!(
                    action.apply(event, at(20)),
                    Err(TransitionError::NotAllowed { status, event }),
                    "{status} must not accept {}",
                    event.name()
                );
            }
        }
    }

    /// What a test sequence does next: a reviewer's verb or the passing of time (with a sweep).
    #[derive(Debug, Clone)]
    enum Step {
        Review(LifecycleEvent),
        Tick { hours: i64, sweep: bool },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            Just(Step::Review(LifecycleEvent::Approve)),
            Just(Step::Review(LifecycleEvent::Reject)),
            (-2i64..30)
                .prop_map(|h| Step::Review(LifecycleEvent::ApproveForLater { send_at: at(h) })),
            (-2i64..30).prop_map(|h| Step::Review(LifecycleEvent::Snooze { until: at(h) })),
            (0i64..8, any::<bool>()).prop_map(|(hours, sweep)| Step::Tick { hours, sweep }),
        ]
    }

    /// The edges of the contract's state diagram.
    fn allowed_edge(from: ActionStatus, to: ActionStatus) -> bool {
        use ActionStatus as S;
        matches!(
            (from, to),
            (
                S::Pending,
                S::Approved | S::Rejected | S::Snoozed | S::Expired | S::Deferred
            ) | (
                S::Snoozed,
                S::Pending | S::Approved | S::Rejected | S::Expired | S::Deferred
            ) | (S::Deferred, S::Pending | S::Approved | S::Expired)
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_sequence_of_reviews_and_ticks_keeps_the_invariants(
            expires_in in 1i64..30,
            not_before in proptest::option::of(0i64..30),
            steps in proptest::collection::vec(step(), 0..40),
        ) {
            let mut now = at(0);
            let Ok(mut action) = Lifecycle::proposed(now, at(expires_in), not_before.map(at), false) else {
                return Ok(());
            };
            let mut decided = false;
            let mut final_seen: Option<ActionStatus> = None;
            for step in steps {
                let outcome = match step {
                    Step::Review(event) => Some(action.apply(event, now)),
                    Step::Tick { hours, sweep } => {
                        now += Duration::hours(hours);
                        if sweep { action.due_event(now).map(|event| action.apply(event, now)) } else { None }
                    }
                };
                if let Some(Ok(transition)) = outcome {
                    prop_assert!(allowed_edge(transition.from, transition.to),
                        "illegal edge {} -> {}", transition.from, transition.to);
                    prop_assert!(!transition.from.is_final(), "left final status {}", transition.from);
                    if transition.event == LifecycleEvent::SnoozeElapsed {
                        prop_assert_eq!(transition.to, ActionStatus::Pending);
                    }
                    if matches!(transition.event, LifecycleEvent::Approve | LifecycleEvent::ApproveForLater { .. } | LifecycleEvent::Reject) {
                        decided = true;
                    }
                    action = transition.next;
                }
                let seen = action.status_at(now);
                if let Some(final_status) = final_seen {
                    prop_assert_eq!(seen, final_status, "a final status changed");
                }
                if seen.is_final() {
                    final_seen = Some(seen);
                }
                if seen == ActionStatus::Expired {
                    prop_assert!(!decided, "an expired action had been decided");
                }
                if action.undecided() && now >= action.expires_at {
                    prop_assert_eq!(seen, ActionStatus::Expired, "undecided past expiry must read expired");
                }
                prop_assert_eq!(action.snoozed_until.is_some(), action.status == ActionStatus::Snoozed);
                prop_assert_eq!(action.deferred_until.is_some(), action.status == ActionStatus::Deferred);
                prop_assert!(!action.approved_awaiting_send || action.status == ActionStatus::Deferred);
            }
        }

        #[test]
        fn settling_is_idempotent_and_leaves_nothing_due(
            expires_in in 1i64..30,
            snooze_at in 0i64..30,
            later in 0i64..60,
        ) {
            let action = pending(expires_in);
            let action = action
                .apply(LifecycleEvent::Snooze { until: at(snooze_at) }, at(0))
                .map(|t| t.next)
                .unwrap_or(action);
            let settled = action.settled_at(at(later));
            prop_assert_eq!(settled.due_event(at(later)), None);
            prop_assert_eq!(settled.settled_at(at(later)), settled);
        }
    }
}
