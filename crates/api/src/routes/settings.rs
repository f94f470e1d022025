//! The location's review safeguards.

use actix_web::{get, put, web};
use inbox_domain::{auth::Scope, safeguards::LocationSettings};

use crate::{
    auth::{Admin, Authorized, Read},
    error::ApiError,
    json::Json,
    services::settings,
    state::AppState,
};

/// The location's review safeguards (the contact cap, the confidence floor, the audit share)
/// and its team-channel webhook, shown in full to admins only (others see its origin).
#[utoipa::path(
    tag = "agents",
    responses((status = 200, description = "The settings; `null` where one is off.", body = LocationSettings))
)]
#[get("/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<LocationSettings>, ApiError> {
    let admin = caller.has(Scope::AgentsAdmin);
    Ok(web::Json(settings::get(&caller.context(&state), admin)?))
}

/// Replace the location's review safeguards. The contact cap (at most `max_messages` emails and
/// calls to one customer in any `window_days`, across all agents) makes an approval past it
/// need a confirmation and holds a trusted agent's action for review instead of sending it; the
/// confidence floor points out actions under it before a bulk approval.
#[utoipa::path(
    tag = "agents",
    request_body = LocationSettings,
    responses(
        (status = 200, description = "The settings now.", body = LocationSettings),
        (status = 400, description = "Malformed body."),
        (status = 422, description = "A cap or floor out of range."),
    )
)]
#[put("/settings")]
pub async fn replace_settings(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
    body: Json<LocationSettings>,
) -> Result<web::Json<LocationSettings>, ApiError> {
    let updated = settings::replace(&caller.context(&state), &body.value).await?;
    // Cached callers carry their location's old settings: forget them.
    state.auth_cache.forget_all();
    Ok(web::Json(updated))
}
