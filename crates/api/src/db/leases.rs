//! Review leases: who is reviewing which action, until when. One row per action; a lease that has
//! ended is taken over by the next reviewer who asks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use inbox_domain::safeguards::ReviewLease;
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::entities::review_leases::{self, Column, Entity};

fn lease_of(row: review_leases::Model) -> ReviewLease {
    ReviewLease {
        action_id: row.action_id,
        reviewer_id: row.reviewer_id,
        reviewer_name: row.reviewer_name,
        expires_at: row.expires_at,
    }
}

/// Takes or renews `wanted` unless someone else's lease of the action is live at `now`; the
/// lease that holds afterwards, whoever's it is. One statement, so two reviewers opening the
/// action at once cannot both get it.
pub async fn take<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    wanted: &ReviewLease,
    now: DateTime<Utc>,
) -> Result<ReviewLease, DbErr> {
    Entity::insert(review_leases::ActiveModel {
        action_id: Set(wanted.action_id),
        location_id: Set(location_id),
        reviewer_id: Set(wanted.reviewer_id.clone()),
        reviewer_name: Set(wanted.reviewer_name.clone()),
        expires_at: Set(wanted.expires_at),
    })
    .on_conflict(
        OnConflict::column(Column::ActionId)
            .update_columns([Column::ReviewerId, Column::ReviewerName, Column::ExpiresAt])
            .action_and_where(
                Expr::col((Entity, Column::ReviewerId))
                    .eq(wanted.reviewer_id.clone())
                    .or(Expr::col((Entity, Column::ExpiresAt)).lte(now)),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Entity::find_by_id(wanted.action_id)
        .filter(Column::LocationId.eq(location_id))
        .one(db)
        .await?
        .map(lease_of)
        .ok_or_else(|| DbErr::RecordNotFound("the lease just taken".to_owned()))
}

/// Ends `reviewer_id`'s lease of the action, if they hold one; whether there was one.
pub async fn release<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    action_id: Uuid,
    reviewer_id: &str,
) -> Result<bool, DbErr> {
    let deleted = Entity::delete_many()
        .filter(Column::LocationId.eq(location_id))
        .filter(Column::ActionId.eq(action_id))
        .filter(Column::ReviewerId.eq(reviewer_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The location's leases live at `now`, soonest to end first.
pub async fn live<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<ReviewLease>, DbErr> {
    Ok(Entity::find()
        .filter(Column::LocationId.eq(location_id))
        .filter(Column::ExpiresAt.gt(now))
        .order_by_asc(Column::ExpiresAt)
        .order_by_asc(Column::ActionId)
        .all(db)
        .await?
        .into_iter()
        .map(lease_of)
        .collect())
}

/// The live leases of `action_ids`, by action.
pub async fn live_of<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    action_ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, ReviewLease>, DbErr> {
    Ok(Entity::find()
        .filter(Column::LocationId.eq(location_id))
        .filter(Column::ActionId.is_in(action_ids.iter().copied()))
        .filter(Column::ExpiresAt.gt(now))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.action_id, lease_of(row)))
        .collect())
}

/// Forgets the leases that ended before `before`: they no longer say anything.
pub async fn forget_ended<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let deleted = Entity::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
