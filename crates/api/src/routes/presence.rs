//! Presence: who is reviewing which action (review leases).

use actix_web::{delete, get, put, web, HttpResponse};
use inbox_domain::safeguards::ReviewLease;

use super::ActionChange;
use crate::{
    auth::{Authorized, Read, Review},
    error::ApiError,
    services::presence,
    state::AppState,
};

/// Take or renew your review lease of an action: others see you reviewing it for a minute, and
/// deciding it asks them to confirm. Renew it while the action stays open (the app does every
/// 20 seconds). Taking never steals: while another reviewer's lease is live, the answer is
/// theirs, unchanged.
#[utoipa::path(
    tag = "actions",
    params(("id" = Uuid, Path, description = "The action's id.")),
    responses(
        (status = 200, description = "The lease that holds now: yours, or the other reviewer's (compare `reviewer_id`).", body = ReviewLease),
        (status = 400, description = "The id is not a UUID."),
        (status = 404, description = "No such action in this location."),
    )
)]
#[put("/actions/{id}/lease")]
pub async fn take_lease(change: ActionChange<Review>) -> Result<web::Json<ReviewLease>, ApiError> {
    let ctx = change.context();
    let lease = presence::take(&ctx, change.id, change.caller.display_name()).await?;
    Ok(web::Json(lease))
}

/// Release your review lease of an action (nothing happens when you hold none).
#[utoipa::path(
    tag = "actions",
    params(("id" = Uuid, Path, description = "The action's id.")),
    responses(
        (status = 204, description = "You no longer hold a lease of it."),
        (status = 400, description = "The id is not a UUID."),
        (status = 404, description = "No such action in this location."),
    )
)]
#[delete("/actions/{id}/lease")]
pub async fn release_lease(change: ActionChange<Review>) -> Result<HttpResponse, ApiError> {
    presence::release(&change.context(), change.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who is reviewing what now: every live lease of the location. The event stream's `presence`
/// events say when it changes.
#[utoipa::path(
    tag = "actions",
    responses(
        (status = 200, description = "The live leases, soonest to end first.", body = Vec<ReviewLease>),
    )
)]
#[get("/leases")]
pub async fn list_leases(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<Vec<ReviewLease>>, ApiError> {
    Ok(web::Json(presence::live(&caller.context(&state)).await?))
}
