//! Audit sampling: what trusted agents sent alone, set aside for a person to check.

use actix_web::{get, post, web};
use inbox_domain::dto::{ActionDetail, ActionListItem, AuditCheck};

use super::ActionChange;
use crate::{
    auth::{Authorized, Read, Review},
    error::ApiError,
    json::Json,
    services::audit,
    state::AppState,
};

/// What waits for a person to check: the share of auto-executed actions set aside
/// (`audit_share` of `/settings`), the latest sent first, at most 100.
#[utoipa::path(
    tag = "actions",
    responses((status = 200, description = "The unchecked actions.", body = Vec<ActionListItem>))
)]
#[get("/audit")]
pub async fn audit_queue(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<Vec<ActionListItem>>, ApiError> {
    Ok(web::Json(audit::queue(&caller.context(&state)).await?))
}

/// Check an action set aside for audit: `ok`, or `flagged` with a note saying what was wrong.
#[utoipa::path(
    tag = "actions",
    request_body = AuditCheck,
    params(("id" = Uuid, Path, description = "The action's id.")),
    responses(
        (status = 200, description = "Checked; its history says by whom.", body = ActionDetail),
        (status = 400, description = "Malformed id or body."),
        (status = 404, description = "No such action in this location."),
        (status = 409, description = "The action is not waiting for an audit check (never set aside, or checked already)."),
        (status = 422, description = "A verdict other than ok or flagged, or a note over 2,000 characters."),
    )
)]
#[post("/actions/{id}/audit")]
pub async fn check_audit(
    change: ActionChange<Review>,
    body: Json<AuditCheck>,
) -> Result<web::Json<ActionDetail>, ApiError> {
    let detail = audit::check(&change.context(), change.id, &body.value).await?;
    Ok(web::Json(detail))
}
