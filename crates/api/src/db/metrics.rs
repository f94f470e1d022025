//! The metrics bar, computed with the contract's definitions, overall and per agent.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    dto::AgentSummary,
    metrics::{approval_rate, today_window, tracking_window, AgentMetrics, Metrics, ReasonCount},
    notices::EXPIRING_SOON_HOURS,
    ActionStatus, RejectionReason,
};
use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, Func, SimpleExpr},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::{
    actions::{
        counts::{by_agent_and_status, fired},
        list::union_all,
    },
    StoreError,
};
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

/// `column > at`: a recent window of a timestamp most rows have long passed (or never set).
/// SQLite's statistics cannot tell how few rows that is, and its planner would rather walk the
/// whole location in agent order than sort a few; `likelihood` tells it. PostgreSQL knows.
fn later_than(db: &DatabaseConnection, column: A, at: DateTime<Utc>) -> SimpleExpr {
    let after = Expr::col((actions::Entity, column)).gt(at);
    match db.get_database_backend() {
        DbBackend::Sqlite => Func::cust(Alias::new("likelihood"))
            .arg(after)
            // A constant, as SQLite requires: not a bound parameter.
            .arg(Expr::cust("0.01"))
            .into(),
        _ => after,
    }
}

/// What one part of [`activity_by_agent`] counts.
const APPROVED: i32 = 0;
const REJECTED: i32 = 1;
const REVIEWED: i32 = 2;

/// One agent's approvals, rejections or first reviews in the last week.
#[derive(Debug, FromQueryResult)]
struct ActivityRow {
    agent_id: Uuid,
    /// [`APPROVED`], [`REJECTED`] or [`REVIEWED`].
    kind: i32,
    today: i64,
    week: i64,
    /// Of first reviews: the review time they add up to.
    seconds: f64,
}

/// Every agent's day and week: approvals, rejections and first reviews, each read on its own
/// from an index that holds every column it needs (no table rows are read), in one statement.
async fn activity_by_agent(
    db: &DatabaseConnection,
    location_id: Uuid,
    day_start: DateTime<Utc>,
    week_start: DateTime<Utc>,
) -> Result<HashMap<Uuid, Activity>, StoreError> {
    // SUM and COUNT are BIGINT or NUMERIC by store and type: the casts make each one type.
    let bigint = |expr: SimpleExpr| Expr::expr(expr).cast_as(Alias::new("bigint"));
    let in_week = |column: A| {
        actions::Entity::find()
            .select_only()
            .column(A::AgentId)
            .filter(A::LocationId.eq(location_id))
            .filter(later_than(db, column, week_start))
            .group_by(A::AgentId)
    };
    let decided = |column: A, kind: i32| {
        in_week(column)
            .column_as(Expr::val(kind), "kind")
            .column_as(
                bigint(
                    Func::sum(Expr::case(column.gt(day_start), Expr::val(1)).finally(Expr::val(0)))
                        .into(),
                ),
                "today",
            )
            .column_as(bigint(Expr::col(Asterisk).count()), "week")
            .column_as(Expr::val(0.0_f64), "seconds")
            .into_query()
    };
    let reviewed = in_week(A::FirstReviewedAt)
        .column_as(Expr::val(REVIEWED), "kind")
        .column_as(Expr::val(0_i64), "today")
        .column_as(bigint(Expr::col(A::ReviewTimeSeconds).count()), "week")
        .column_as(
            Expr::expr(Func::coalesce([
                Func::sum(Expr::col(A::ReviewTimeSeconds)).into(),
                Expr::val(0).into(),
            ]))
            .cast_as(Alias::new("double precision")),
            "seconds",
        )
        .into_query();
    let Some(all) = union_all([
        decided(A::ApprovedAt, APPROVED),
        decided(A::RejectedAt, REJECTED),
        reviewed,
    ]) else {
        return Ok(HashMap::new());
    };
    let rows = ActivityRow::find_by_statement(db.get_database_backend().build(&all))
        .all(db)
        .await?;
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    let mut by_agent: HashMap<Uuid, Activity> = HashMap::new();
    for row in rows {
        let activity = by_agent.entry(row.agent_id).or_default();
        match row.kind {
            APPROVED => {
                activity.approved_today = count(row.today);
                activity.approved_week = count(row.week);
            }
            REJECTED => {
                activity.rejected_today = count(row.today);
                activity.rejected_week = count(row.week);
            }
            _ => {
                activity.reviewed = count(row.week);
                activity.review_seconds = row.seconds;
            }
        }
    }
    Ok(by_agent)
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

    let fired = fired(db, location_id, now).await?;
    let pending: HashMap<Uuid, u64> = by_agent_and_status(db, location_id, None, &fired, now)
        .await?
        .into_iter()
        .filter(|((_, status), _)| *status == ActionStatus::Pending)
        .map(|((agent, _), count)| (agent, count))
        .collect();
    let expiring_soon: i64 = in_location()
        .select_only()
        .column_as(Expr::col(Asterisk).count(), "count")
        .filter(A::Status.eq(ActionStatus::Pending))
        .filter(A::ExpiresAt.gt(now))
        .filter(A::ExpiresAt.lte(now + Duration::hours(EXPIRING_SOON_HOURS)))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    let activity = activity_by_agent(db, location_id, day_start, week_start).await?;
    let total = activity
        .values()
        .fold(Activity::default(), |sum, agent| sum.plus(agent));

    let reasons: Vec<(Uuid, RejectionReason, i64)> = in_location()
        .select_only()
        .column(A::AgentId)
        .column(A::RejectionReason)
        // COUNT(*), not of a column the index lacks: the index alone answers.
        .column_as(Expr::col(Asterisk).count(), "count")
        .filter(later_than(db, A::RejectedAt, week_start))
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
        expiring_soon: u64::try_from(expiring_soon).unwrap_or_default(),
        approved_today: total.approved_today,
        rejected_today: total.rejected_today,
        avg_review_time_seconds: total.average_review_seconds(),
        approval_rate: approval_rate(total.approved_week, total.rejected_week),
        by_agent,
    })
}
