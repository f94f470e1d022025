//! Presence: a reviewer takes a short lease on the action they open, renews it while they look at
//! it and releases it when they leave; every replica's event streams hear of each change.

use inbox_domain::safeguards::{PresenceChanged, ReviewLease};
use uuid::Uuid;

use super::{change::load, Context, ServiceError};
use crate::{bus::LocationPresence, db};

async fn announce(
    ctx: &Context<'_>,
    action_id: Uuid,
    lease: Option<ReviewLease>,
) -> Result<(), ServiceError> {
    let presence = LocationPresence {
        location_id: ctx.location.id,
        presence: PresenceChanged { action_id, lease },
    };
    ctx.bus.presence(ctx.db, presence).await?;
    Ok(())
}

/// Takes or renews the caller's lease of action `id` unless another reviewer's is live; the lease
/// that holds, whoever's it is (taking never steals one).
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn take(
    ctx: &Context<'_>,
    id: Uuid,
    reviewer_name: &str,
) -> Result<ReviewLease, ServiceError> {
    load(ctx.db, ctx.location.id, id).await?;
    let wanted = ReviewLease::taken(id, &ctx.actor.0, reviewer_name, ctx.now);
    let holding = db::leases::take(ctx.db, ctx.location.id, &wanted, ctx.now).await?;
    if holding == wanted {
        announce(ctx, id, Some(holding.clone())).await?;
    }
    Ok(holding)
}

/// Ends the caller's lease of action `id`, if they hold one.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn release(ctx: &Context<'_>, id: Uuid) -> Result<(), ServiceError> {
    load(ctx.db, ctx.location.id, id).await?;
    if db::leases::release(ctx.db, ctx.location.id, id, &ctx.actor.0).await? {
        announce(ctx, id, None).await?;
    }
    Ok(())
}

/// Who is reviewing what in the caller's location now.
pub async fn live(ctx: &Context<'_>) -> Result<Vec<ReviewLease>, ServiceError> {
    Ok(db::leases::live(ctx.db, ctx.location.id, ctx.now).await?)
}
