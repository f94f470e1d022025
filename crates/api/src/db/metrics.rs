//! The metrics bar, computed with the contract's definitions, overall and per agent.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::AgentSummary,
    metrics::{approval_rate, today_window, tracking_window, AgentMetrics, Metrics, ReasonCount},
    ActionStatus, RejectionReason,
};
use sea_orm::{
    sea_query::{Alias, Expr, Func, SimpleExpr},
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{actions::counts::by_agent_and_status, StoreError};
use crate::db::entities::{
    actions::{self, Column as A},
    agents,
};

/// What one agent's actions saw in the last day and week.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Activity {
    approved_today: u64,
    rejected_today: u64,
    approved_week: u64,
    rejected_week: u64,
    /// Of the actions first reviewed this week: the sum of their review times, and how many.
    review_seconds: f64,
    reviewed: u64,
}

impl Activity {
    fn plus(self, other: &Activity) -> Activity {
        Activity {
            approved_today: self.approved_today + other.approved_today,
            rejected_today: self.rejected_today + other.rejected_today,
            approved_week: self.approved_week + other.approved_week,
            rejected_week: self.rejected_week + other.rejected_week,
            review_seconds: self.review_seconds + other.review_seconds,
            reviewed: self.reviewed + other.reviewed,
        }
    }

    fn average_review_seconds(&self) -> Option<f64> {
        (self.reviewed > 0).then(|| self.review_seconds / self.reviewed as f64)
    }
}

/// Every agent's day and week, in one pass over the location's recent decisions.
async fn activity_by_agent(
    db: &DatabaseConnection,
    location_id: Uuid,
    day_start: DateTime<Utc>,
    week_start: DateTime<Utc>,
) -> Result<HashMap<Uuid, Activity>, StoreError> {
    // SUM of integers is BIGINT or NUMERIC by store and type: the casts make it one type.
    let count = |condition: SimpleExpr| {
        Expr::expr(Func::sum(
            Expr::case(condition, Expr::val(1)).finally(Expr::val(0)),
        ))
        .cast_as(Alias::new("bigint"))
    };
    let reviewed_this_week = || {
        Expr::col(A::FirstReviewedAt)
            .gt(week_start)
            .and(Expr::col(A::ReviewTimeSeconds).is_not_null())
    };
    let review_seconds = Expr::expr(Func::coalesce([
        Func::sum(
            Expr::case(reviewed_this_week(), Expr::col(A::ReviewTimeSeconds)).finally(Expr::val(0)),
        )
        .into(),
        Expr::val(0).into(),
    ]))
    .cast_as(Alias::new("double precision"));
    let rows: Vec<(Uuid, i64, i64, i64, i64, f64, i64)> = actions::Entity::find()
        .select_only()
        .column(A::AgentId)
        .column_as(
            count(Expr::col(A::ApprovedAt).gt(day_start)),
            "approved_today",
        )
        .column_as(
            count(Expr::col(A::RejectedAt).gt(day_start)),
            "rejected_today",
        )
        .column_as(
            count(Expr::col(A::ApprovedAt).gt(week_start)),
            "approved_week",
        )
        .column_as(
            count(Expr::col(A::RejectedAt).gt(week_start)),
            "rejected_week",
        )
        .column_as(review_seconds, "review_seconds")
        .column_as(count(reviewed_this_week()), "reviewed")
        .filter(A::LocationId.eq(location_id))
        .filter(
            Condition::any()
                .add(A::ApprovedAt.gt(week_start))
                .add(A::RejectedAt.gt(week_start))
                .add(A::FirstReviewedAt.gt(week_start)),
        )
        .group_by(A::AgentId)
        .into_tuple()
        .all(db)
        .await?;
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(
            |(
                agent,
                approved_today,
                rejected_today,
                approved_week,
                rejected_week,
                seconds,
                reviewed,
            )| {
                let activity = Activity {
                    approved_today: count(approved_today),
                    rejected_today: count(rejected_today),
                    approved_week: count(approved_week),
                    rejected_week: count(rejected_week),
                    review_seconds: seconds,
                    reviewed: count(reviewed),
                };
                (agent, activity)
            },
        )
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

    let pending: HashMap<Uuid, u64> = by_agent_and_status(db, location_id, None, now)
        .await?
        .into_iter()
        .filter(|((_, status), _)| *status == ActionStatus::Pending)
        .map(|((agent, _), count)| (agent, count))
        .collect();
    let activity = activity_by_agent(db, location_id, day_start, week_start).await?;
    let total = activity
        .values()
        .fold(Activity::default(), |sum, agent| sum.plus(agent));

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
    let by_agent = agents
        .into_iter()
        .map(|agent| {
            let active = activity.get(&agent.id).copied().unwrap_or_default();
            let (approved, rejected) = (active.approved_week, active.rejected_week);
            let mut top = reasons_by_agent.remove(&agent.id).unwrap_or_default();
            top.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
            top.truncate(3);
            AgentMetrics {
                pending_review: pending.get(&agent.id).copied().unwrap_or(0),
                approved_today: active.approved_today,
                rejected_today: active.rejected_today,
                avg_review_time_seconds: active.average_review_seconds(),
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

    Ok(Metrics {
        pending_review: pending.values().sum(),
        approved_today: total.approved_today,
        rejected_today: total.rejected_today,
        avg_review_time_seconds: total.average_review_seconds(),
        approval_rate: approval_rate(total.approved_week, total.rejected_week),
        by_agent,
    })
}
