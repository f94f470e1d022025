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
    /// A reviewer can still decide it: approve, reject or snooze.
    pub const fn is_reviewable(self) -> bool {
        matches!(self, ActionStatus::Pending | ActionStatus::Snoozed)
    }

    /// Its draft can still change: the same statuses a reviewer can decide.
    pub const fn is_editable(self) -> bool {
        self.is_reviewable()
    }

    /// It went out (approved or auto-executed), so outcomes and replies can follow.
    pub const fn is_sent(self) -> bool {
        matches!(self, ActionStatus::Approved | ActionStatus::AutoExecuted)
    }

    /// A final status never changes again, but for one exception: an approval is undone while
    /// its message still waits to leave.
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

crate::action::wire_enum! {
    /// What an entry of an action's history records: a lifecycle event, or something that
    /// happened to the action without moving its status.
    pub enum EventKind {
        /// An agent proposed it.
        Proposed => ("proposed", "Proposed"),
        Approved => ("approved", "Approved"),
        /// Approved, with delivery held until opening time.
        ApprovedForLater => ("approved_for_later", "Approved for later"),
        Rejected => ("rejected", "Rejected"),
        Snoozed => ("snoozed", "Snoozed"),
        SnoozeElapsed => ("snooze_elapsed", "Snooze elapsed"),
        DeferralElapsed => ("deferral_elapsed", "Deferral elapsed"),
        Expired => ("expired", "Expired"),
        /// A reviewer saved draft edits without deciding.
        Edited => ("edited", "Edited"),
        /// An integration reported what followed the sent action.
        OutcomeReported => ("outcome_reported", "Outcome reported"),
        /// A customer's reply was linked to the sent action.
        ResponseLinked => ("response_linked", "Response linked"),
        /// What followed it cost its agent the right to send this type alone.
        AutonomyPaused => ("autonomy_paused", "Auto-execute paused"),
        /// A person checked what its agent sent alone (the audit sample).
        Audited => ("audited", "Audited"),
        /// Its delivery went out: the email, the call, or the note on the customer's history.
        Sent => ("sent", "Sent"),
        /// An attempt to deliver it failed; it is tried again later.
        DeliveryAttemptFailed => ("delivery_attempt_failed", "Delivery attempt failed"),
        /// Its delivery failed for good after every attempt.
        DeliveryFailed => ("delivery_failed", "Delivery failed"),
        /// A person sent its failed delivery again.
        DeliveryRetried => ("delivery_retried", "Delivery retried"),
        /// Its message was not sent: it no longer held when it was due to leave.
        DeliveryStopped => ("delivery_stopped", "Delivery stopped"),
        /// A reviewer took the approval back before it was sent.
        Undone => ("undone", "Undone"),
        /// Its agent, trusted for it, sent it without review when it was released.
        AutoExecuted => ("auto_executed", "Auto-executed"),
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
    /// A reviewer takes an approval back while its message still waits to leave (the undo
    /// window; the delivery decides whether it has left).
    Undo,
    /// A trusted agent's proposal that was held until `not_before` is sent without review as it
    /// is released (the agent acts, not a person).
    AutoExecute,
}

impl LifecycleEvent {
    /// The history entry this event writes.
    pub const fn kind(self) -> EventKind {
        match self {
            LifecycleEvent::Approve => EventKind::Approved,
            LifecycleEvent::ApproveForLater { .. } => EventKind::ApprovedForLater,
            LifecycleEvent::Reject => EventKind::Rejected,
            LifecycleEvent::Snooze { .. } => EventKind::Snoozed,
            LifecycleEvent::SnoozeElapsed => EventKind::SnoozeElapsed,
            LifecycleEvent::DeferralElapsed => EventKind::DeferralElapsed,
            LifecycleEvent::Expire => EventKind::Expired,
            LifecycleEvent::Undo => EventKind::Undone,
            LifecycleEvent::AutoExecute => EventKind::AutoExecuted,
        }
    }

    /// A stable name for the event, as recorded in an action's history.
    pub const fn name(self) -> &'static str {
        self.kind().as_str()
    }

    /// Whether a person raises this event (it counts as a review), rather than a timer.
    pub const fn is_review(self) -> bool {
        matches!(
            self,
            LifecycleEvent::Approve
                | LifecycleEvent::ApproveForLater { .. }
                | LifecycleEvent::Reject
                | LifecycleEvent::Snooze { .. }
                | LifecycleEvent::Undo
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
    #[error("a {} action cannot be {}", .status, .event.name().replace('_', " "))]
    NotAllowed {
        status: ActionStatus,
        event: LifecycleEvent,
    },
    /// A timer event raised before its time.
    #[error("{} is not due yet", .event.name().replace('_', " "))]
    NotDue { event: LifecycleEvent },
    /// A snooze or send time that is not in the future.
    #[error("the time must be in the future")]
    TimeNotInFuture,
    /// A snooze that would end after the action expires: it would never come back for review.
    #[error("the action expires at {expires_at}: snooze it until before then, or decide it now")]
    SnoozePastExpiry { expires_at: DateTime<Utc> },
}

/// Why a proposal cannot start a lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProposalTimingError {
    #[error("expires_at must be in the future")]
    ExpiryNotInFuture,
    #[error("not_before must be earlier than expires_at")]
    NotBeforeAfterExpiry,
    #[error("expires_at must be within 90 days")]
    ExpiryTooFar,
}

/// The longest an action may wait for a decision (and an agent's default time to expire).
pub const LONGEST_EXPIRY: chrono::TimeDelta = chrono::TimeDelta::days(90);

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
        if expires_at > now + LONGEST_EXPIRY {
            return Err(ProposalTimingError::ExpiryTooFar);
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

    /// When the action's next timer fires: an undecided action's expiry, or its snooze or hold
    /// ending if that comes first; none once it is decided (an approved call held for business
    /// hours still has its hold). A timer is due at `now` exactly when this is at or before
    /// `now`, and until then the action shows the status it is stored with. The store keeps it
    /// as an indexed column, so the rows a sweep has not caught up with are found at once.
    pub fn next_timer(&self) -> Option<DateTime<Utc>> {
        let ends = match self.status {
            ActionStatus::Snoozed => self.snoozed_until,
            ActionStatus::Deferred => self.deferred_until,
            _ => None,
        };
        let expiry = self.undecided().then_some(self.expires_at);
        match (ends, expiry) {
            (Some(ends), Some(expiry)) => Some(ends.min(expiry)),
            (ends, expiry) => ends.or(expiry),
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

    /// Applies `event` at `now`. Review events and auto-execution are judged against the status
    /// a reader sees at `now` (so an action past its expiry cannot be approved even before the
    /// sweep ran).
    pub fn apply(
        &self,
        event: LifecycleEvent,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        // Decisions (a person's, or a trusted agent's) act on what a reader sees at `now`.
        if event.is_review() || event == LifecycleEvent::AutoExecute {
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
                if until >= self.expires_at {
                    return Err(TransitionError::SnoozePastExpiry {
                        expires_at: self.expires_at,
                    });
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
            // Taken back before it was sent: it waits for review again.
            (S::Approved, E::Undo) => Lifecycle {
                status: S::Pending,
                ..cleared
            },
            (S::Deferred, E::Undo) if self.approved_awaiting_send => Lifecycle {
                status: S::Pending,
                approved_awaiting_send: false,
                ..cleared
            },
            // A proposal nobody decided (the server does this only as a held one is released).
            (S::Pending, E::AutoExecute) => Lifecycle {
                status: S::AutoExecuted,
                ..cleared
            },
            // A snoozed action is snoozed again only after it woke; a deferred one is not
            // reviewable until it is released; only an approval can be undone.
            (S::Snoozed, E::Snooze { .. })
            | (S::Pending | S::Snoozed, E::Undo)
            | (S::Snoozed | S::Deferred, E::AutoExecute)
            | (S::Deferred, E::Undo)
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
mod tests;
