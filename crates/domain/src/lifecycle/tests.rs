use super::*;
use crate::EventKind;
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
    assert_eq!(
        Lifecycle::proposed(
            at(0),
            at(0) + LONGEST_EXPIRY + chrono::TimeDelta::seconds(1),
            None,
            false
        ),
        Err(ProposalTimingError::ExpiryTooFar)
    );
    assert!(Lifecycle::proposed(at(0), at(0) + LONGEST_EXPIRY, None, false).is_ok());
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
fn a_snooze_must_end_before_the_action_expires() {
    for until in [10, 11, 500] {
        assert_eq!(
            pending(10).apply(LifecycleEvent::Snooze { until: at(until) }, at(1)),
            Err(TransitionError::SnoozePastExpiry { expires_at: at(10) }),
            "until hour {until}"
        );
    }
    let snoozed = pending(10)
        .apply(LifecycleEvent::Snooze { until: at(9) }, at(1))
        .expect("allowed");
    assert_eq!(snoozed.next.snoozed_until, Some(at(9)));
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
        LifecycleEvent::AutoExecute,
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

#[test]
fn a_held_proposal_is_auto_executed_only_once_released() {
    let held = Lifecycle::proposed(at(0), at(10), Some(at(2)), true).expect("valid");
    assert_eq!(
        held.status,
        ActionStatus::Deferred,
        "held first, even when trusted"
    );
    assert_eq!(
        held.apply(LifecycleEvent::AutoExecute, at(11)),
        Err(TransitionError::NotAllowed {
            status: ActionStatus::Expired,
            event: LifecycleEvent::AutoExecute
        }),
        "never once its window has closed"
    );
    assert_eq!(
        held.apply(LifecycleEvent::AutoExecute, at(1)),
        Err(TransitionError::NotAllowed {
            status: ActionStatus::Deferred,
            event: LifecycleEvent::AutoExecute
        })
    );
    let released = held
        .apply(LifecycleEvent::DeferralElapsed, at(2))
        .expect("due")
        .next;
    let sent = released
        .apply(LifecycleEvent::AutoExecute, at(2))
        .expect("a released proposal may be sent");
    assert_eq!(sent.to, ActionStatus::AutoExecuted);
    assert_eq!(sent.event.kind(), EventKind::AutoExecuted);
    assert!(
        !LifecycleEvent::AutoExecute.is_review(),
        "the agent acts, not a person"
    );
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
        Just(Step::Review(LifecycleEvent::Undo)),
        Just(Step::Review(LifecycleEvent::Reject)),
        Just(Step::Review(LifecycleEvent::AutoExecute)),
        (-2i64..30).prop_map(|h| Step::Review(LifecycleEvent::ApproveForLater { send_at: at(h) })),
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
            S::Approved | S::Rejected | S::Snoozed | S::Expired | S::Deferred | S::AutoExecuted
        ) | (
            S::Snoozed,
            S::Pending | S::Approved | S::Rejected | S::Expired | S::Deferred
        ) | (S::Deferred, S::Pending | S::Approved | S::Expired)
            | (S::Approved, S::Pending)
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
                let undone = transition.event == LifecycleEvent::Undo;
                prop_assert!(!transition.from.is_final() || undone, "left final status {}", transition.from);
                if undone {
                    prop_assert_eq!(transition.to, ActionStatus::Pending);
                    decided = false;
                    final_seen = None;
                }
                if transition.event == LifecycleEvent::SnoozeElapsed {
                    prop_assert_eq!(transition.to, ActionStatus::Pending);
                }
                if transition.event == LifecycleEvent::AutoExecute {
                    prop_assert_eq!(transition.from, ActionStatus::Pending, "only a proposal nobody decided");
                }
                if matches!(transition.event, LifecycleEvent::Approve | LifecycleEvent::ApproveForLater { .. } | LifecycleEvent::Reject | LifecycleEvent::AutoExecute) {
                    decided = true;
                }
                action = transition.next;
            }
            let seen = action.status_at(now);
            let timer_due = action.next_timer().is_some_and(|at| at <= now);
            prop_assert_eq!(action.due_event(now).is_some(), timer_due, "the next timer marks what is due");
            prop_assert!(timer_due || seen == action.status, "nothing due, yet it shows another status");
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
            prop_assert!(action.snoozed_until.is_none_or(|until| until < action.expires_at), "a snooze ends before the expiry");
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

#[test]
fn an_approval_can_be_undone_but_nothing_else() {
    let approved = pending(10)
        .apply(LifecycleEvent::Approve, at(1))
        .expect("approved")
        .next;
    let undone = approved.apply(LifecycleEvent::Undo, at(2)).expect("undone");
    assert_eq!(undone.to, ActionStatus::Pending);
    assert_eq!(undone.event.kind(), EventKind::Undone);

    let call = pending(10)
        .apply(LifecycleEvent::ApproveForLater { send_at: at(5) }, at(1))
        .expect("deferred")
        .next;
    let undone_call = call.apply(LifecycleEvent::Undo, at(2)).expect("undone");
    assert_eq!(undone_call.to, ActionStatus::Pending);
    assert!(!undone_call.next.approved_awaiting_send && undone_call.next.deferred_until.is_none());

    for status in [
        ActionStatus::Rejected,
        ActionStatus::Expired,
        ActionStatus::AutoExecuted,
    ] {
        let action = Lifecycle {
            status,
            ..pending(10)
        };
        assert!(
            action.apply(LifecycleEvent::Undo, at(2)).is_err(),
            "{status}"
        );
    }
    assert!(pending(10).apply(LifecycleEvent::Undo, at(2)).is_err());
    let held = Lifecycle::proposed(at(0), at(10), Some(at(5)), false).expect("held");
    assert!(
        held.apply(LifecycleEvent::Undo, at(2)).is_err(),
        "not an approval"
    );
}
