//! Outbound webhooks: an admin registers, lists and removes endpoints and reads their delivery
//! logs. What is sent to them is queued with the history entries they announce (see
//! [`crate::db::webhooks::enqueue`]) and sent by [`crate::jobs::webhooks`].

use base64::{engine::general_purpose::STANDARD, Engine};
use inbox_domain::{
    dto::Page,
    webhook::{CreateWebhookEndpoint, CreatedWebhookEndpoint, WebhookDelivery, WebhookEndpoint},
};
use rand::RngCore;
use uuid::Uuid;

use super::{Context, ServiceError};
use crate::db::{self, entities::webhook_endpoints};

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("No webhook endpoint {id} in this location."))
}

/// A signing secret the way Standard Webhooks writes it: `whsec_` and 24 random bytes in base64.
fn new_secret() -> String {
    let mut key = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

/// Registers an endpoint; its secret is in the answer and nowhere else.
pub async fn create(
    ctx: &Context<'_>,
    request: &CreateWebhookEndpoint,
) -> Result<CreatedWebhookEndpoint, ServiceError> {
    let valid = request.validate().map_err(ServiceError::Invalid)?;
    let secret = new_secret();
    let row = webhook_endpoints::Model {
        id: Uuid::now_v7(),
        location_id: ctx.location.id,
        url: valid.url,
        events: serde_json::json!(valid.events),
        description: valid.description,
        secret: secret.clone(),
        created_at: ctx.now,
        deleted_at: None,
    };
    db::webhooks::insert_endpoint(ctx.db, row.clone(), ctx.claim).await?;
    Ok(CreatedWebhookEndpoint {
        endpoint: db::webhooks::endpoint_view(&row)?,
        secret,
    })
}

/// What a replay of the request that registered `created` answers: the secret is never stored,
/// so it cannot be shown again.
pub fn secret_shown_once(created: &CreatedWebhookEndpoint) -> ServiceError {
    ServiceError::WrongState(format!(
        "The first request with this Idempotency-Key registered endpoint {}. Its secret was \
         shown only in that response and is not stored, so it cannot be shown again; if it was \
         lost, delete the endpoint and register it again.",
        created.endpoint.id
    ))
}

/// The location's endpoints, newest first, without their secrets.
pub async fn list(ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>, ServiceError> {
    db::webhooks::endpoints(ctx.db, ctx.location.id)
        .await?
        .iter()
        .map(|row| db::webhooks::endpoint_view(row).map_err(ServiceError::from))
        .collect()
}

/// Removes an endpoint: nothing more is sent to it; its log stays readable.
pub async fn remove(ctx: &Context<'_>, id: Uuid) -> Result<(), ServiceError> {
    if db::webhooks::remove_endpoint(ctx.db, ctx.location.id, id, ctx.now).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// A page of what was sent (or is to be sent) to an endpoint, newest first.
pub async fn log(
    ctx: &Context<'_>,
    endpoint_id: Uuid,
    cursor: Option<Uuid>,
    limit: u64,
) -> Result<Page<WebhookDelivery>, ServiceError> {
    if db::webhooks::find_endpoint(ctx.db, ctx.location.id, endpoint_id)
        .await?
        .is_none()
    {
        return Err(not_found(endpoint_id));
    }
    Ok(db::webhooks::log_page(ctx.db, ctx.location.id, endpoint_id, cursor, limit).await?)
}
