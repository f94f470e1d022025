//! The metrics bar, computed with the contract's definitions, overall and per agent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::AgentSummary,
    metrics::{approval_rate, today_window, tracking_window, AgentMetrics, Metrics, ReasonCount},
    ActionStatus, RejectionReason,
};
use sea_orm::{
    sea_query::{Alias, Expr, Func},
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{actions::list::status_is, StoreError};
use crate::db::entities::{
    actions::{self, Column as A},
    agents,
};

/// Actions of the location matching `condition`, counted per agent.
async fn count_by_agent(
    db: &DatabaseConnection,
    location_id: Uuid,
    condition: Condition,
) -> Result<HashMap<Uuid, u64>, StoreError> {
    let rows: Vec<(Uuid, i64)> = actions::Entity::find()
        .select_only()
        .column(A::AgentId)
        .column_as(A::Id.count(), "count")
        .filter(A::LocationId.eq(location_id))
        .filter(condition)
        .group_by(A::AgentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(agent, count)| (agent, u64::try_from(count).unwrap_or_default()))
        .collect())
}

/// The metrics for a location at `now`.
#[tracing::instrument(skip_all, fields(location_id = %location_id))]
pub async fn compute(
    db: &DatabaseConnection,
    location_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Metrics, StoreError> {
    let in_location = || actions::Entity::find().filter(A::LocationId.eq(location_id));
    let day_start = now - today_window();
    let week_start = now - tracking_window();
    let since = |column: A, start: DateTime<Utc>| Condition::all().add(column.gt(start));

    let pending = count_by_agent(db, location_id, status_is(ActionStatus::Pending, now)).await?;
    let approved_week = count_by_agent(db, location_id, since(A::ApprovedAt, week_start)).await?;
    let rejected_week = count_by_agent(db, location_id, since(A::RejectedAt, week_start)).await?;
    let approved_today = count_by_agent(db, location_id, since(A::ApprovedAt, day_start)).await?;
    let rejected_today = count_by_agent(db, location_id, since(A::RejectedAt, day_start)).await?;

    // AVG of an integer is NUMERIC on PostgreSQL; the cast makes it a float on both stores.
    let average = || {
        Expr::expr(Func::avg(Expr::col(A::ReviewTimeSeconds)))
            .cast_as(Alias::new("double precision"))
    };
    let avg_review_time_seconds: Option<f64> = in_location()
        .filter(A::FirstReviewedAt.gt(week_start))
        .select_only()
        .column_as(average(), "avg_review_time_seconds")
        .into_tuple::<Option<f64>>()
        .one(db)
        .await?
        .flatten();
    let review_times: HashMap<Uuid, Option<f64>> = in_location()
        .filter(A::FirstReviewedAt.gt(week_start))
        .select_only()
        .column(A::AgentId)
        .column_as(average(), "avg_review_time_seconds")
        .group_by(A::AgentId)
        .into_tuple::<(Uuid, Option<f64>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();

    let reasons: Vec<(Uuid, RejectionReason, i64)> = in_location()
        .select_only()
        .column(A::AgentId)
        .column(A::RejectionReason)
        .column_as(A::Id.count(), "count")
        .filter(A::RejectedAt.gt(week_start))
        .filter(A::RejectionReason.is_not_null())
        .group_by(A::AgentId)
        .group_by(A::RejectionReason)
        .into_tuple()
        .all(db)
        .await?;
    let mut reasons_by_agent: HashMap<Uuid, Vec<ReasonCount>> = HashMap::new();
    for (agent, reason, count) in reasons {
        reasons_by_agent
            .entry(agent)
            .or_default()
            .push(ReasonCount {
                reason,
                count: u64::try_from(count).unwrap_or_default(),
            });
    }

    let agents = agents::Entity::find()
        .filter(agents::Column::LocationId.eq(location_id))
        .order_by_asc(agents::Column::Name)
        .all(db)
        .await?;
    let get = |counts: &HashMap<Uuid, u64>, agent: Uuid| counts.get(&agent).copied().unwrap_or(0);
    let by_agent = agents
        .into_iter()
        .map(|agent| {
            let (approved, rejected) =
                (get(&approved_week, agent.id), get(&rejected_week, agent.id));
            let mut top = reasons_by_agent.remove(&agent.id).unwrap_or_default();
            top.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
            top.truncate(3);
            AgentMetrics {
                pending_review: get(&pending, agent.id),
                approved_today: get(&approved_today, agent.id),
                rejected_today: get(&rejected_today, agent.id),
                avg_review_time_seconds: review_times.get(&agent.id).copied().flatten(),
                approved,
                rejected,
                approval_rate: approval_rate(approved, rejected),
                top_rejection_reasons: top,
                agent: AgentSummary {
                    id: agent.id,
                    name: agent.name,
                },
            }
        })
        .collect();

    let approved: u64 = approved_week.values().sum();
    let rejected: u64 = rejected_week.values().sum();
    Ok(Metrics {
        pending_review: pending.values().sum(),
        approved_today: approved_today.values().sum(),
        rejected_today: rejected_today.values().sum(),
        avg_review_time_seconds,
        approval_rate: approval_rate(approved, rejected),
        by_agent,
    })
}
