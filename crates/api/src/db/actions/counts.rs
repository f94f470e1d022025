//! Segment sizes without counting segments: `action_counts` keeps how many actions each agent
//! has in each stored status, written in the transaction of every insert and status change, and
//! a read corrects it by the few rows whose timers came due since the last sweep.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use inbox_domain::{ActionStatus, Lifecycle};
use sea_orm::{
    sea_query::{Alias, Expr, InsertStatement, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait,
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
        match self.into_statement() {
            Some(statement) => db
                .execute(db.get_database_backend().build(&statement))
                .await
                .map(drop),
            None => Ok(()),
        }
    }

    /// The statement [`CountChanges::write`] runs; `None` when nothing changed.
    pub fn into_statement(self) -> Option<InsertStatement> {
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
            return None;
        }
        use action_counts::Column as C;
        Some(
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
                .into_query(),
        )
    }
}

/// A row whose timer has fired by now but whose new status the sweep has not stored yet: it
/// shows another status than it is stored (and counted) with.
#[derive(Debug, Clone, FromQueryResult)]
pub struct FiredRow {
    pub id: Uuid,
    pub agent_id: Uuid,
    /// As stored.
    pub status: ActionStatus,
    expires_at: DateTime<Utc>,
    snoozed_until: Option<DateTime<Utc>>,
    deferred_until: Option<DateTime<Utc>>,
    approved_awaiting_send: bool,
}

impl FiredRow {
    /// The status the row shows at `now`.
    pub fn shown_at(&self, now: DateTime<Utc>) -> ActionStatus {
        Lifecycle {
            status: self.status,
            expires_at: self.expires_at,
            snoozed_until: self.snoozed_until,
            deferred_until: self.deferred_until,
            approved_awaiting_send: self.approved_awaiting_send,
        }
        .status_at(now)
    }
}

/// The location's rows whose timers have fired by `now` (see [`FiredRow`]), found by the
/// `(location_id, next_timer_at)` index. They are few: the sweep stores each within seconds.
pub async fn fired<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<FiredRow>, DbErr> {
    use actions::Column as A;
    actions::Entity::find()
        .select_only()
        .columns([
            A::Id,
            A::AgentId,
            A::Status,
            A::ExpiresAt,
            A::SnoozedUntil,
            A::DeferredUntil,
            A::ApprovedAwaitingSend,
        ])
        .filter(A::LocationId.eq(location_id))
        .filter(timer_due(now))
        .into_model::<FiredRow>()
        .all(db)
        .await
}

/// How many of a location's actions show each status at `now`, per agent (of one agent, with
/// `agent_id`): the kept counts, corrected by the location's `fired` rows.
pub async fn by_agent_and_status<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    agent_id: Option<Uuid>,
    fired: &[FiredRow],
    now: DateTime<Utc>,
) -> Result<HashMap<(Uuid, ActionStatus), u64>, DbErr> {
    let mut kept =
        action_counts::Entity::find().filter(action_counts::Column::LocationId.eq(location_id));
    if let Some(agent_id) = agent_id {
        kept = kept.filter(action_counts::Column::AgentId.eq(agent_id));
    }
    let mut counts: HashMap<(Uuid, ActionStatus), i64> = kept
        .all(db)
        .await?
        .into_iter()
        .map(|row| ((row.agent_id, row.status), row.count))
        .collect();
    for row in fired
        .iter()
        .filter(|row| agent_id.is_none_or(|agent_id| row.agent_id == agent_id))
    {
        let shown = row.shown_at(now);
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
