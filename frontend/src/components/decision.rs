//! A reviewer's decision on the open action, and what the panel says about it afterwards.

use chrono::Duration;
use inbox_domain::{
    dto::{ApproveAction, RejectAction, SnoozeAction},
    safeguards::WarningNotice,
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::error_notice::ErrorNotice,
    context::time_to_leave,
};

/// Approve & Send (or Edit & Approve), Reject or Snooze, with the body the API takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Approve(ApproveAction),
    Reject(RejectAction),
    Snooze(SnoozeAction),
}

/// What a decision came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// Approved; its message leaves `leaves_in` from now (at the end of the undo window, or a
    /// deferred call's opening hour), when the answer carried the delivery.
    Approved {
        leaves_in: Option<Duration>,
    },
    Rejected,
    Snoozed,
}

impl Decided {
    /// What the panel says once the decision is taken; the undo toast follows an approval.
    pub fn said(self) -> &'static str {
        match self {
            Decided::Approved { .. } => "Approved and sent.",
            Decided::Rejected => "Rejected.",
            Decided::Snoozed => "Snoozed.",
        }
    }
}

impl Decision {
    /// The same decision, confirmed past `warnings`.
    pub fn acknowledging(mut self, warnings: &[WarningNotice]) -> Decision {
        let acknowledged = match &mut self {
            Decision::Approve(body) => &mut body.acknowledged,
            Decision::Reject(body) => &mut body.acknowledged,
            Decision::Snooze(body) => &mut body.acknowledged,
        };
        for notice in warnings {
            if !acknowledged.contains(&notice.warning) {
                acknowledged.push(notice.warning);
            }
        }
        self
    }

    /// Takes the decision on action `id`.
    pub async fn send(&self, id: Uuid, csrf: &str) -> Result<Decided, ApiError> {
        Ok(match self {
            Decision::Approve(body) => Decided::Approved {
                leaves_in: api::approve(id, body, csrf)
                    .await?
                    .delivery
                    .as_ref()
                    .map(time_to_leave),
            },
            Decision::Reject(body) => {
                api::reject(id, body, csrf).await?;
                Decided::Rejected
            }
            Decision::Snooze(body) => {
                api::snooze(id, body, csrf).await?;
                Decided::Snoozed
            }
        })
    }
}

/// Sends the reviewer's decisions; its value is the latest answer.
pub type Decide = Action<Decision, Result<Decided, ApiError>>;

/// What happened to the reviewer's last attempt (a decision or a preview).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(String),
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
