//! A reviewer's decision on the open action, and what the panel says about it afterwards.

use inbox_domain::dto::{ApproveAction, RejectAction, SnoozeAction};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::error_notice::ErrorNotice,
};

/// What the panel says after an approval (Approve & Send, Save & Send); the undo toast follows it.
pub const APPROVED: &str = "Approved and sent.";

/// Approve & Send (or Edit & Approve), Reject or Snooze, with the body the API takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Approve(ApproveAction),
    Reject(RejectAction),
    Snooze(SnoozeAction),
}

impl Decision {
    /// What the panel says once the decision is taken.
    pub fn done(&self) -> &'static str {
        match self {
            Decision::Approve(_) => APPROVED,
            Decision::Reject(_) => "Rejected.",
            Decision::Snooze(_) => "Snoozed.",
        }
    }

    /// Takes the decision on action `id`; the answer is what to tell the reviewer.
    pub async fn send(&self, id: Uuid, csrf: &str) -> Result<&'static str, ApiError> {
        match self {
            Decision::Approve(body) => api::approve(id, body, csrf).await,
            Decision::Reject(body) => api::reject(id, body, csrf).await,
            Decision::Snooze(body) => api::snooze(id, body, csrf).await,
        }
        .map(|_| self.done())
    }
}

/// Sends the reviewer's decisions; its value is the latest answer.
pub type Decide = Action<Decision, Result<&'static str, ApiError>>;

/// What happened to the reviewer's last attempt (a decision or a preview).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(&'static str),
    Failed(ApiError),
}

/// The outcome, with a decision that another reviewer beat explained rather than swallowed.
#[component]
pub fn OutcomeNotice(outcome: Outcome) -> impl IntoView {
    match outcome {
        Outcome::Done(message) => view! { <p class="notice" role="status">{message}</p> }.into_any(),
        Outcome::Failed(error) if error.is_conflict() => view! {
            <p class="error" role="alert">
                {format!(
                    "Someone else got here first: this action is now {}. The panel shows where it stands. ({})",
                    error.current_status.map_or("changed", |s| s.label()),
                    error.message
                )}
            </p>
        }
        .into_any(),
        Outcome::Failed(error) => view! { <ErrorNotice error/> }.into_any(),
    }
}
