//! Use cases. Each loads what it needs, lets the domain decide, and writes the change with a
//! conditional `UPDATE … WHERE version = ?` and its event row in one transaction, so two
//! reviewers (or two servers) can never both move one action.

pub mod actions;
pub mod agents;
pub mod auth;
pub mod bus;
pub mod idempotency;

use inbox_domain::{review::FieldIssue, ActionStatus};
use sea_orm::DbErr;

use crate::store::StoreError;

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    /// The request breaks a rule (422).
    #[error("invalid request")]
    Invalid(Vec<FieldIssue>),
    /// The action is not where the caller thought (409).
    #[error("{detail}")]
    Conflict {
        detail: String,
        status: ActionStatus,
        version: i32,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        ServiceError::Store(StoreError::Db(error))
    }
}

impl ServiceError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldIssue::new(field, message)])
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
