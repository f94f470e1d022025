//! State shared across the app's modules: who is signed in and what the live event stream keeps
//! fresh (provided as context), the keyboard commands on their way to the open action, and the
//! rows ticked for a bulk decision.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    auth::Me,
    delivery::Delivery,
    metrics::Metrics,
    safeguards::{PresenceChanged, ReviewLease},
    RejectionReason, SnoozeDuration,
};
use leptos::prelude::*;
use uuid::Uuid;

/// The signed-in reviewer, for every component that changes something.
#[derive(Debug, Clone)]
pub struct Session {
    pub me: Me,
    /// Sent as `X-CSRF-Token` with every change.
    pub csrf: String,
}

/// What the live event stream keeps fresh.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub metrics: RwSignal<Option<Metrics>>,
    /// Goes up with every change of any action: lists and panels reload on it.
    pub changes: RwSignal<u64>,
}

impl Live {
    /// Reloads everything that shows actions, as a change announced by the stream would.
    pub fn changed(&self) {
        self.changes.update(|n| *n += 1);
    }
}

/// Who is reviewing which action: the live leases, kept fresh by the event stream.
#[derive(Debug, Clone, Copy)]
pub struct Presence {
    leases: RwSignal<HashMap<Uuid, ReviewLease>>,
    /// Moves on every few seconds, so that a lease that ended drops out of view by itself.
    now: RwSignal<DateTime<Utc>>,
    /// This reviewer, as leases name reviewers (`user:<id>` or `key:<id>`).
    me: StoredValue<String>,
}

impl Presence {
    pub fn new(me: &Me) -> Presence {
        let id = match (&me.user, &me.api_key) {
            (Some(user), _) => format!("user:{}", user.id),
            (None, Some(key)) => format!("key:{}", key.id),
            (None, None) => String::new(),
        };
        Presence {
            leases: RwSignal::new(HashMap::new()),
            now: RwSignal::new(Utc::now()),
            me: StoredValue::new(id),
        }
    }

    /// Every live lease, as the server listed them.
    pub fn replace(&self, leases: Vec<ReviewLease>) {
        self.leases.set(
            leases
                .into_iter()
                .map(|lease| (lease.action_id, lease))
                .collect(),
        );
    }

    /// A lease taken, renewed or released.
    pub fn apply(&self, change: PresenceChanged) {
        self.leases.update(|leases| match change.lease {
            Some(lease) => {
                leases.insert(change.action_id, lease);
            }
            None => {
                leases.remove(&change.action_id);
            }
        });
    }

    /// Lets ended leases drop out of view.
    pub fn tick(&self) {
        self.now.set(Utc::now());
    }

    /// The name of whoever else is reviewing action `id` now, if anyone (tracked).
    pub fn other_reviewer(&self, id: Uuid) -> Option<String> {
        let now = self.now.get();
        let me = self.me.get_value();
        self.leases.with(|leases| {
            leases
                .get(&id)
                .filter(|lease| lease.held_by_another(&me, now))
                .map(|lease| lease.reviewer_name.clone())
        })
    }
}

/// How long an approval can be taken back when the server's answer does not say when its
/// message leaves: the server's default `INBOX_UNDO_SECONDS`.
const DEFAULT_UNDO_SECONDS: i64 = 10;

/// How long after it was scheduled a delivery leaves, both measured by the server's clock, so
/// that a client clock set differently neither shortens nor stretches the undo window.
pub fn time_to_leave(delivery: &Delivery) -> Duration {
    delivery.deliver_at - delivery.created_at
}

/// What an undo takes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undoable {
    /// The approval of the open action.
    Action(Uuid),
    /// The approvals of a Bulk Approve.
    Batch(Vec<Uuid>),
}

/// The approvals that can still be taken back, offered by the undo toast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoOffer {
    pub what: Undoable,
    /// When the undo window closes, by this browser's clock.
    pub until: DateTime<Utc>,
}

/// The undo toast's state: the offer shown, the `z` key's requests, and the undos done (the
/// panel forgets its "sent" message on each).
#[derive(Debug, Clone, Copy)]
pub struct Undo {
    pub offer: RwSignal<Option<UndoOffer>>,
    pub asked: RwSignal<u64>,
    pub undone: RwSignal<u64>,
}

impl Default for Undo {
    /// Nothing offered.
    fn default() -> Undo {
        Undo {
            offer: RwSignal::new(None),
            asked: RwSignal::new(0),
            undone: RwSignal::new(0),
        }
    }
}

impl Undo {
    /// Offers to take back `what` until its message leaves, `leaves_in` from now (see
    /// [`time_to_leave`]); for the server's default window when the answer did not say.
    pub fn offer(&self, what: Undoable, leaves_in: Option<Duration>) {
        let leaves_in = leaves_in.unwrap_or_else(|| Duration::seconds(DEFAULT_UNDO_SECONDS));
        self.offer.set(Some(UndoOffer {
            what,
            until: Utc::now() + leaves_in,
        }));
    }
}

/// A keyboard command for the open action's panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Approve,
    Edit,
    Reject,
    Snooze,
    /// `r` then a digit: reject at once with that reason (`other` opens the form for its note).
    RejectWith(RejectionReason),
    /// `s` then a digit: snooze at once for that long.
    SnoozeFor(SnoozeDuration),
    /// Escape: close whatever form or dialog is open.
    Cancel,
}

/// Carries keyboard commands from the inbox to the open panel; the panel takes each one once.
#[derive(Debug, Clone, Copy)]
pub struct Shortcuts(pub RwSignal<Option<Shortcut>>);

/// The rows ticked for a bulk decision, shared by the list, the keyboard and the bulk bar.
#[derive(Debug, Clone, Copy)]
pub struct Selection(pub RwSignal<Vec<Uuid>>);

impl Default for Selection {
    /// Nothing ticked.
    fn default() -> Selection {
        Selection(RwSignal::new(Vec::new()))
    }
}

impl Selection {
    /// Ticks `id`, or unticks it when it was ticked.
    pub fn toggle(&self, id: Uuid) {
        self.0
            .update(|ids| match ids.iter().position(|x| *x == id) {
                Some(at) => {
                    ids.remove(at);
                }
                None => ids.push(id),
            });
    }

    /// Whether `id` is ticked (tracked).
    pub fn contains(&self, id: Uuid) -> bool {
        self.0.with(|ids| ids.contains(&id))
    }

    /// How many rows are ticked (tracked).
    pub fn len(&self) -> usize {
        self.0.with(Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.0.with(Vec::is_empty)
    }

    pub fn set(&self, ids: Vec<Uuid>) {
        self.0.set(ids);
    }

    pub fn clear(&self) {
        self.0.set(Vec::new());
    }
}
