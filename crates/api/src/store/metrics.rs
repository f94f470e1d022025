//! The metrics bar, computed with the contract's definitions.

use chrono::{DateTime, Utc};
use inbox_domain::{
    metrics::{approval_rate, today_window, tracking_window, Metrics},
    ActionStatus,
};
use sea_orm::{
    sea_query::{Alias, Expr, Func},
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{actions::status_is, StoreError};
use crate::db::entities::actions::{self, Column as A};

/// The five metrics for a location at `now`.
#[tracing::instrument(skip_all, fields(location_id = %location_id))]
pub async fn compute(
    db: &DatabaseConnection,
    location_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Metrics, StoreError> {
    let in_location = || actions::Entity::find().filter(A::LocationId.eq(location_id));
    let day_start = now - today_window();
    let week_start = now - tracking_window();

    let pending_review = in_location()
        .filter(status_is(ActionStatus::Pending, now))
        .count(db)
        .await?;
    let approved_since = |since| in_location().filter(A::ApprovedAt.gt(since)).count(db);
    let rejected_since = |since| in_location().filter(A::RejectedAt.gt(since)).count(db);
    let approved_today = approved_since(day_start).await?;
    let rejected_today = rejected_since(day_start).await?;
    let approved_week = approved_since(week_start).await?;
    let rejected_week = rejected_since(week_start).await?;

    // AVG of an integer is NUMERIC on PostgreSQL; the cast makes it a float on both stores.
    let avg_review_time_seconds: Option<f64> = in_location()
        .filter(A::FirstReviewedAt.gt(week_start))
        .select_only()
        .column_as(
            Expr::expr(Func::avg(Expr::col(A::ReviewTimeSeconds)))
                .cast_as(Alias::new("double precision")),
            "avg_review_time_seconds",
        )
        .into_tuple::<Option<f64>>()
        .one(db)
        .await?
        .flatten();

    Ok(Metrics {
        pending_review,
        approved_today,
        rejected_today,
        avg_review_time_seconds,
        approval_rate: approval_rate(approved_week, rejected_week),
    })
}
