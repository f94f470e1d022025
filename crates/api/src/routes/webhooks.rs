//! Outbound webhooks for integrations (admins only): endpoints and their delivery logs.

use actix_web::{delete, get, http::StatusCode, post, web, HttpRequest, HttpResponse};
use inbox_domain::{
    dto::Page,
    problem::FieldErrors,
    webhook::{CreateWebhookEndpoint, CreatedWebhookEndpoint, WebhookDelivery, WebhookEndpoint},
};
use uuid::Uuid;

use super::{
    deliveries::{page_of, PageParams},
    idempotent, Reply,
};
use crate::{
    auth::{Admin, Authorized},
    error::ApiError,
    json::Json,
    query::Query,
    services::webhooks,
    state::AppState,
};

/// The location's webhook endpoints, newest first, without their secrets.
#[utoipa::path(
    tag = "webhooks",
    responses(
        (status = 200, description = "Every endpoint not removed.", body = Vec<WebhookEndpoint>),
        (status = 401, description = "Not authenticated."),
        (status = 403, description = "Needs `agents:admin`."),
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
) -> Result<web::Json<Vec<WebhookEndpoint>>, ApiError> {
    Ok(web::Json(webhooks::list(&caller.context(&state)).await?))
}

/// Register an endpoint for `action.proposed`, `action.decided`, `action.sent`,
/// `delivery.failed` and/or `action.expired`. Every message is POSTed as JSON
/// (`{"type", "timestamp", "data"}`, see `WebhookMessage`) and signed the Standard Webhooks way:
/// `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
/// "id.timestamp.body">` keyed with the secret, which this answer shows once. A failing
/// endpoint is retried with backoff and never holds up reviewing.
///
/// With an `Idempotency-Key`, a retry never registers a second endpoint, but since the secret is
/// not stored it cannot be shown again: the replay is a 409 naming the endpoint registered. Lost
/// the first answer? Delete that endpoint and register again with a new key.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhookEndpoint,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key and body never register a second endpoint; the replay is a 409, since the secret is shown once.")),
    responses(
        (status = 201, description = "Registered; the secret is shown only here.", body = CreatedWebhookEndpoint),
        (status = 400, description = "The body is not JSON or a field has the wrong type."),
        (status = 401, description = "Not authenticated."),
        (status = 403, description = "Needs `agents:admin`."),
        (status = 409, description = "A replay of a request with this Idempotency-Key: `detail` names the endpoint it registered, whose secret cannot be shown again; or that request is still in progress."),
        (status = 413, description = "The body is too large."),
        (status = 422, description = "Not an http(s) URL, no events, or the Idempotency-Key was used for another request."),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
    request: HttpRequest,
    body: Json<CreateWebhookEndpoint>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = &body.value;
    idempotent(&state, &caller, &request, &body.raw, |claim| {
        let ctx = caller.context(&state).with_claim(claim);
        async move {
            let created = webhooks::create(&ctx, endpoint).await?;
            let replay = webhooks::secret_shown_once(&created);
            Ok(Reply::new(StatusCode::CREATED, &created)?.replayed_as(replay))
        }
    })
    .await
}

/// Remove an endpoint: nothing more is sent to it, and what still waited is cancelled. Its
/// delivery log stays readable.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 400, description = "The id is not a UUID."),
        (status = 401, description = "Not authenticated."),
        (status = 403, description = "Needs `agents:admin`."),
        (status = 404, description = "No such endpoint in this location, or it was removed already."),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    webhooks::remove(&caller.context(&state), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An endpoint's delivery log, newest first: each message's event, payload, state, attempts,
/// the endpoint's last HTTP status and the last error.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id."), PageParams),
    responses(
        (status = 200, description = "One page of the log.", body = Page<WebhookDelivery>),
        (status = 400, description = "The id is not a UUID, or an invalid cursor or limit."),
        (status = 401, description = "Not authenticated."),
        (status = 403, description = "Needs `agents:admin`."),
        (status = 404, description = "No such endpoint in this location."),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
    id: web::Path<Uuid>,
    Query(params): Query<PageParams>,
) -> Result<web::Json<Page<WebhookDelivery>>, ApiError> {
    let mut errors = FieldErrors::default();
    let (cursor, limit) = page_of(
        params.cursor.as_deref(),
        params.limit.as_deref(),
        &mut errors,
    );
    errors
        .finish(())
        .map_err(|errors| ApiError::invalid("One or more query parameters are invalid.", errors))?;
    let page = webhooks::log(&caller.context(&state), id.into_inner(), cursor, limit).await?;
    Ok(web::Json(page))
}
