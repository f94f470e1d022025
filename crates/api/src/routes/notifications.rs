//! A signed-in reviewer's own notification settings.

use actix_web::{get, post, put, web, HttpResponse};
use inbox_domain::notices::{Notice, NotificationPreferences};
use uuid::Uuid;

use crate::{
    auth::{Authorized, Caller, Read},
    error::ApiError,
    json::Json,
    services::notification_settings,
    state::AppState,
};

/// The signed-in reviewer: notification settings are a person's, not an API key's.
fn reviewer(caller: &Caller) -> Result<Uuid, ApiError> {
    caller.user_id().ok_or_else(|| {
        ApiError::Forbidden(
            "Notification settings belong to a signed-in reviewer, not an API key.".to_owned(),
        )
    })
}

/// What the signed-in reviewer is told, and how: a digest, immediate emails about critical
/// and expiring actions, browser notifications. All off until turned on.
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 200, description = "The reviewer's preferences.", body = NotificationPreferences),
        (status = 403, description = "An API key: only a signed-in reviewer has preferences."),
    )
)]
#[get("/me/notifications")]
pub async fn get_preferences(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<NotificationPreferences>, ApiError> {
    let user_id = reviewer(&caller)?;
    let preferences = notification_settings::preferences(&caller.context(&state), user_id).await?;
    Ok(web::Json(preferences))
}

/// Replace the signed-in reviewer's preferences. A daily digest leaves at `digest_hour` in the
/// location's time zone (or later that day, once something waits); an hourly one each hour
/// something waits. Each period's digest and each action's notice is sent once.
#[utoipa::path(
    tag = "notifications",
    request_body = NotificationPreferences,
    responses(
        (status = 200, description = "The preferences now.", body = NotificationPreferences),
        (status = 400, description = "Malformed body."),
        (status = 403, description = "An API key: only a signed-in reviewer has preferences."),
        (status = 422, description = "An hour or a window out of range."),
    )
)]
#[put("/me/notifications")]
pub async fn replace_preferences(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    body: Json<NotificationPreferences>,
) -> Result<web::Json<NotificationPreferences>, ApiError> {
    let user_id = reviewer(&caller)?;
    let preferences =
        notification_settings::replace_preferences(&caller.context(&state), user_id, &body.value)
            .await?;
    Ok(web::Json(preferences))
}

/// The newest 50 notices sent to the signed-in reviewer, or kept for them in the built-in
/// outbox when no SMTP server is configured.
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 200, description = "Newest first.", body = Vec<Notice>),
        (status = 403, description = "An API key: only a signed-in reviewer is sent notices."),
    )
)]
#[get("/me/notices")]
pub async fn list_notices(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<Vec<Notice>>, ApiError> {
    let user_id = reviewer(&caller)?;
    let notices = notification_settings::notices(&caller.context(&state), user_id).await?;
    Ok(web::Json(notices))
}

/// Revoke every one-click decision link the signed-in reviewer was sent: they stop working at
/// once; notices from now on carry new ones.
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 204, description = "Revoked."),
        (status = 403, description = "An API key: only a signed-in reviewer is sent links."),
    )
)]
#[post("/me/decision-links/revoke")]
pub async fn revoke_links(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<HttpResponse, ApiError> {
    let user_id = reviewer(&caller)?;
    notification_settings::revoke_links(&caller.context(&state), user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
