//! Use cases, one per file. Each loads what it needs, lets the domain decide, and writes the
//! change with a conditional `UPDATE … WHERE version = ?` and its history in one transaction, so
//! two reviewers (or two servers) can never both move one action. Nothing here knows HTTP.

pub mod agents;
pub mod audit;
pub mod auth;
pub mod auto_execute;
pub mod bulk;
pub mod change;
pub mod decision_links;
pub mod deliveries;
pub mod drafts;
pub mod follow_up;
pub mod insights;
pub mod notice_text;
pub mod notification_settings;
pub mod notify;
pub mod presence;
pub mod propose;
pub mod render;
pub mod review;
pub mod settings;
pub mod undo;
pub mod webhooks;

use chrono::{DateTime, Utc};
use inbox_domain::{safeguards::WarningNotice, ActionStatus, FieldError};
use sea_orm::{DatabaseConnection, DbErr};

use crate::{
    bus::EventBus,
    db::{entities::locations, idempotency::ClaimMark, StoreError},
};

/// One request's use case: where it happens, who acts and when, and what it writes through.
pub struct Context<'a> {
    pub db: &'a DatabaseConnection,
    /// Where committed changes are announced.
    pub bus: &'a EventBus,
    /// The caller's location: everything read or written belongs to it.
    pub location: &'a locations::Model,
    pub actor: Actor,
    /// The agent the caller's API key is bound to, if it is one: only such a key's proposals
    /// may act alone.
    pub agent_key: Option<uuid::Uuid>,
    pub now: DateTime<Utc>,
    /// How long an approved message waits before it leaves, so it can be taken back.
    pub undo_window: chrono::Duration,
    /// The request's `Idempotency-Key` claim, if it sent one: marked committed in the use
    /// case's transaction.
    pub claim: Option<ClaimMark>,
}

impl Context<'_> {
    /// The same context for a request that holds `claim`.
    pub fn with_claim(self, claim: Option<ClaimMark>) -> Self {
        Context { claim, ..self }
    }
}

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    /// The request breaks a rule (422).
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// The action is not where the caller thought (409).
    #[error("{detail}")]
    Conflict {
        detail: String,
        status: ActionStatus,
        version: i32,
    },
    /// Something other than an action is not in a state that allows the request (409).
    #[error("{0}")]
    WrongState(String),
    /// The decision meets warnings the reviewer has not acknowledged (409): another reviewer
    /// holds the action, or the customer was contacted as often as the location allows.
    #[error("the decision needs confirming")]
    NeedsConfirmation(Vec<WarningNotice>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        ServiceError::Store(StoreError::Db(error))
    }
}

impl ServiceError {
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        ServiceError::Invalid(vec![FieldError::new(field, message)])
    }
}

/// Who did something, as recorded in an action's history: `agent:<id>`, `user:<id>`,
/// `key:<id>` or `system`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn system() -> Actor {
        Actor("system".to_owned())
    }
}
