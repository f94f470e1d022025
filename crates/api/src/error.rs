//! The API's one error type and its single mapping to RFC 9457 `application/problem+json`.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use inbox_domain::{safeguards::WarningNotice, ActionStatus, FieldError, Problem};

use crate::{
    db::{self, StoreError},
    services::ServiceError,
};

/// How soon a client should try again while the server cannot serve.
const RETRY_UNAVAILABLE_SECONDS: u64 = 2;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: bad query, path or body.
    #[error("{detail}")]
    InvalidRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// No credentials, or credentials that are unknown, revoked or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials without the scope (or CSRF token) the request needs.
    #[error("{0}")]
    Forbidden(String),
    /// Over a rate limit; try again after `retry_after` seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// No such resource in the caller's location.
    #[error("{0}")]
    NotFound(String),
    /// Well-formed, but breaks a rule: a field's value, an unknown variable, a reused
    /// idempotency key.
    #[error("{detail}")]
    Unprocessable {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The action moved on: a stale version or a status that no longer allows the verb.
    #[error("{detail}")]
    Conflict {
        detail: String,
        current_status: Option<ActionStatus>,
        current_version: Option<i32>,
    },
    /// The decision meets warnings to confirm: sent again with them acknowledged, it goes ahead.
    #[error("{detail}")]
    NeedsConfirmation {
        detail: String,
        warnings: Vec<WarningNotice>,
    },
    /// The path exists, but not for this method; `allowed` are the ones it answers.
    #[error("method not allowed")]
    MethodNotAllowed { allowed: Vec<String> },
    /// The body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The server cannot serve yet (readiness).
    #[error("{0}")]
    Unavailable(String),
    /// A failure of ours; its cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        ApiError::InvalidRequest {
            detail: detail.into(),
            errors,
        }
    }

    pub fn invalid_field(field: &str, message: impl ToString) -> Self {
        ApiError::invalid(
            format!("`{field}` is invalid."),
            vec![FieldError::new(field, message)],
        )
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::InvalidRequest { .. } => ("invalid-request", "The request is invalid"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Unprocessable { .. } => ("validation", "The request breaks a rule"),
            ApiError::Conflict { .. } => ("conflict", "The action has changed"),
            ApiError::NeedsConfirmation { .. } => ("confirmation-needed", "Confirm to go ahead"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "The body is too large"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    /// The problem body for this error.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.kind();
        let (detail, errors) = match self {
            ApiError::InvalidRequest { detail, errors }
            | ApiError::Unprocessable { detail, errors } => (detail.clone(), Some(errors.clone())),
            ApiError::TooManyRequests { retry_after } => (
                format!("Slow down: try again in {retry_after} seconds."),
                None,
            ),
            ApiError::MethodNotAllowed { allowed } => (
                format!("This path answers {} only.", allowed.join(", ")),
                None,
            ),
            ApiError::NotFound(detail)
            | ApiError::Unauthorized(detail)
            | ApiError::Forbidden(detail)
            | ApiError::Unavailable(detail)
            | ApiError::PayloadTooLarge(detail)
            | ApiError::Conflict { detail, .. }
            | ApiError::NeedsConfirmation { detail, .. } => (detail.clone(), None),
            ApiError::Internal(_) => (
                "The server could not complete the request.".to_owned(),
                None,
            ),
        };
        let (current_status, current_version) = match self {
            ApiError::Conflict {
                current_status,
                current_version,
                ..
            } => (*current_status, *current_version),
            _ => (None, None),
        };
        Problem {
            problem_type: format!("urn:ai-inbox:problem:{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            current_status,
            current_version,
            warnings: match self {
                ApiError::NeedsConfirmation { warnings, .. } => Some(warnings.clone()),
                _ => None,
            },
            request_id: crate::request_id::current(),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(detail) => ApiError::NotFound(detail),
            ServiceError::Invalid(errors) => ApiError::Unprocessable {
                detail: match errors.as_slice() {
                    [only] => format!("`{}` {}.", only.field, only.message.trim_end_matches('.')),
                    _ => format!(
                        "Several fields break a rule: {}.",
                        errors
                            .iter()
                            .map(|e| format!("`{}` {}", e.field, e.message.trim_end_matches('.')))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                },
                errors,
            },
            ServiceError::Conflict {
                detail,
                status,
                version,
            } => ApiError::Conflict {
                detail,
                current_status: Some(status),
                current_version: Some(version),
            },
            ServiceError::NeedsConfirmation(warnings) => ApiError::NeedsConfirmation {
                detail: format!(
                    "{} Send it again with `acknowledged` naming {} to go ahead.",
                    warnings
                        .iter()
                        .map(|notice| notice.detail.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    if warnings.len() == 1 { "it" } else { "them" }
                ),
                warnings,
            },
            ServiceError::WrongState(detail) => ApiError::Conflict {
                detail,
                current_status: None,
                current_version: None,
            },
            ServiceError::Store(store) => store.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Db(ref db_error) if db::is_outage(db_error) => {
                tracing::warn!(error = ?db_error, "the database is unavailable");
                ApiError::Unavailable(
                    "The database is unavailable right now; try again shortly.".into(),
                )
            }
            StoreError::Db(_) | StoreError::Corrupt(_) => ApiError::Internal(error.into()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } | ApiError::NeedsConfirmation { .. } => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
            }
            ApiError::TooManyRequests { retry_after } => {
                response.insert_header(("Retry-After", retry_after.to_string()));
            }
            ApiError::MethodNotAllowed { allowed } => {
                response.insert_header(("Allow", allowed.join(", ")));
            }
            ApiError::Unavailable(_) => {
                response.insert_header(("Retry-After", RETRY_UNAVAILABLE_SECONDS.to_string()));
            }
            _ => {}
        }
        response
            .content_type("application/problem+json")
            .json(self.problem())
    }
}
