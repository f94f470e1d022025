//! Segment sizes without counting segments: `action_counts` keeps how many actions each agent
//! has in each stored status, written in the transaction of every insert and status change, and
//! a read corrects it by the few rows whose timers came due since the last sweep.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use inbox_domain::{ActionStatus, Lifecycle};
use sea_orm::{
    sea_query::{Alias, Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::timer_due;
use crate::db::entities::{action_counts, actions};

/// What one transaction adds to and takes from the kept counts.
#[derive(Debug, Default)]
pub struct CountChanges(BTreeMap<(Uuid, Uuid, ActionStatus), i64>);

impl CountChanges {
    /// New rows, each counted in its status.
    pub fn of_new<'a>(rows: impl IntoIterator<Item = &'a actions::Model>) -> CountChanges {
        let mut changes = CountChanges::default();
        for row in rows {
            changes.add(row.location_id, row.agent_id, row.status, 1);
        }
        changes
    }

    fn add(&mut self, location_id: Uuid, agent_id: Uuid, status: ActionStatus, by: i64) {
        *self.0.entry((location_id, agent_id, status)).or_default() += by;
    }

    /// An action of `agent_id` stored as `from` is now stored as `to`.
    pub fn moved(
        &mut self,
        location_id: Uuid,
        agent_id: Uuid,
        from: ActionStatus,
        to: ActionStatus,
    ) {
        if from != to {
            self.add(location_id, agent_id, from, -1);
            self.add(location_id, agent_id, to, 1);
        }
    }

    /// Adds the changes to the kept counts, in one statement. The rows are written in key order,
    /// so concurrent transactions lock them in one order and cannot deadlock on them.
    pub async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        let rows: Vec<_> = self
            .0
            .into_iter()
            .filter(|(_, by)| *by != 0)
            .map(
                |((location_id, agent_id, status), count)| action_counts::ActiveModel {
                    location_id: Set(location_id),
                    agent_id: Set(agent_id),
                    status: Set(status),
                    count: Set(count),
                },
            )
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        use action_counts::Column as C;
        action_counts::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::LocationId, C::AgentId, C::Status])
                    .value(
                        C::Count,
                        Expr::col((action_counts::Entity, C::Count))
                            .add(Expr::col((Alias::new("excluded"), C::Count))),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await
            .map(drop)
    }
}

/// How many of a location's actions show each status at `now`, per agent (of one agent, with
/// `agent_id`): two indexed reads, however large the location.
pub async fn by_agent_and_status<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    agent_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<HashMap<(Uuid, ActionStatus), u64>, DbErr> {
    use actions::Column as A;
    let mut kept =
        action_counts::Entity::find().filter(action_counts::Column::LocationId.eq(location_id));
    let mut due = actions::Entity::find()
        .select_only()
        .columns([
            A::AgentId,
            A::Status,
            A::ExpiresAt,
            A::SnoozedUntil,
            A::DeferredUntil,
            A::ApprovedAwaitingSend,
        ])
        .filter(A::LocationId.eq(location_id))
        .filter(timer_due(now));
    if let Some(agent_id) = agent_id {
        kept = kept.filter(action_counts::Column::AgentId.eq(agent_id));
        due = due.filter(A::AgentId.eq(agent_id));
    }
    let mut counts: HashMap<(Uuid, ActionStatus), i64> = kept
        .all(db)
        .await?
        .into_iter()
        .map(|row| ((row.agent_id, row.status), row.count))
        .collect();
    // A row whose timer came due shows another status than it is stored (and counted) with.
    for row in due.into_model::<DueRow>().all(db).await? {
        let shown = Lifecycle {
            status: row.status,
            expires_at: row.expires_at,
            snoozed_until: row.snoozed_until,
            deferred_until: row.deferred_until,
            approved_awaiting_send: row.approved_awaiting_send,
        }
        .status_at(now);
        if shown != row.status {
            *counts.entry((row.agent_id, row.status)).or_default() -= 1;
            *counts.entry((row.agent_id, shown)).or_default() += 1;
        }
    }
    Ok(counts
        .into_iter()
        .map(|(key, count)| (key, u64::try_from(count).unwrap_or_default()))
        .collect())
}

/// What a row's shown status depends on.
#[derive(Debug, FromQueryResult)]
struct DueRow {
    agent_id: Uuid,
    status: ActionStatus,
    expires_at: DateTime<Utc>,
    snoozed_until: Option<DateTime<Utc>>,
    deferred_until: Option<DateTime<Utc>>,
    approved_awaiting_send: bool,
}
