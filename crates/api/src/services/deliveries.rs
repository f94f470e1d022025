//! Deliveries a person acts on: trying a failed one again.

use inbox_domain::delivery::Delivery;
use uuid::Uuid;

use super::{Context, ServiceError};
use crate::db::deliveries;

/// Schedules a failed delivery again, to leave at once; the action's history says who did.
#[tracing::instrument(skip_all, fields(delivery_id = %id))]
pub async fn retry(ctx: &Context<'_>, id: Uuid) -> Result<Delivery, ServiceError> {
    if let Some(row) = deliveries::retry(ctx.db, ctx.location.id, id, &ctx.actor.0, ctx.now).await?
    {
        ctx.bus.touch(ctx.location.id);
        return Ok(deliveries::view(row));
    }
    match deliveries::find(ctx.db, ctx.location.id, id).await? {
        None => Err(ServiceError::NotFound(format!(
            "No delivery {id} in this location."
        ))),
        Some(row) => Err(ServiceError::WrongState(format!(
            "Only a failed delivery can be tried again; this one is {}.",
            row.state
        ))),
    }
}
