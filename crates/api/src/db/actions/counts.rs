//! Segment sizes without counting segments: `action_counts` keeps how many actions each agent
//! has in each stored status, written in the transaction of every insert and status change, and
//! a read corrects it by the few rows whose timers came due since the last sweep (by the same
//! rule in SQL when they are many: see [`Fired`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use inbox_domain::{ActionStatus, Lifecycle};
use sea_orm::{
    sea_query::{Alias, Asterisk, CaseStatement, Expr, InsertStatement, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, QueryTrait,
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

/// Beyond this many, a location's fired rows are a backlog the sweep has not worked off yet (a
/// server that was down for days): reads apply the rule in SQL ([`fired_showing`]) instead of
/// reading every row on every request.
pub const MAX_FIRED_ROWS: u64 = 1_000;

/// A location's rows whose timers have fired by now (see [`FiredRow`]).
#[derive(Debug)]
pub enum Fired {
    /// Few, as usual: the sweep stores each within seconds.
    Rows(Vec<FiredRow>),
    /// More than [`MAX_FIRED_ROWS`].
    Backlog,
}

/// The location's rows whose timers have fired by `now`, found by the
/// `(location_id, next_timer_at)` index; a [`Fired::Backlog`] past [`MAX_FIRED_ROWS`].
pub async fn fired<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Fired, DbErr> {
    use actions::Column as A;
    let rows = actions::Entity::find()
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
        .limit(MAX_FIRED_ROWS + 1)
        .into_model::<FiredRow>()
        .all(db)
        .await?;
    Ok(if rows.len() as u64 > MAX_FIRED_ROWS {
        Fired::Backlog
    } else {
        Fired::Rows(rows)
    })
}

/// How many fired rows of a backlog show another status than the one they are stored (and
/// counted) with: per agent (of one agent, with `agent_id`), stored status and shown status.
/// [`FiredRow::shown_at`] in SQL, in one pass over the timers' index.
async fn backlog_shifts<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    agent_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, ActionStatus, ActionStatus, i64)>, DbErr> {
    use actions::Column as A;
    // The statuses a fired timer can make a row show (see `fired_showing`); any other row shows
    // its stored status.
    let shown = [
        ActionStatus::Pending,
        ActionStatus::Expired,
        ActionStatus::Approved,
    ]
    .into_iter()
    .fold(CaseStatement::new(), |case, status| {
        case.case(fired_showing(status, now), Expr::val(status))
    })
    .finally(Expr::col((actions::Entity, A::Status)));
    let mut query = actions::Entity::find()
        .select_only()
        .column(A::AgentId)
        .column(A::Status)
        .expr_as(shown, "shown")
        .expr_as(Expr::col(Asterisk).count(), "count")
        .filter(A::LocationId.eq(location_id))
        .filter(timer_due(now));
    if let Some(agent_id) = agent_id {
        query = query.filter(A::AgentId.eq(agent_id));
    }
    query
        .group_by(A::AgentId)
        .group_by(A::Status)
        // By its name: the expression again would bind its values again, which PostgreSQL
        // would not take for the same expression.
        .group_by(Expr::col(Alias::new("shown")))
        .into_tuple()
        .all(db)
        .await
}

/// The rows whose timers have fired by `now` and that show `status`: the SQL twin of
/// [`Lifecycle::status_at`] for them, used for a backlog (see [`Fired`]).
pub(crate) fn fired_showing(status: ActionStatus, now: DateTime<Utc>) -> Condition {
    use actions::Column as C;
    use ActionStatus::*;
    let stored = |s: ActionStatus| Condition::all().add(C::Status.eq(s));
    let open = || C::ExpiresAt.gt(now);
    let closed = || C::ExpiresAt.lte(now);
    let undecided_deferred = || stored(Deferred).add(C::ApprovedAwaitingSend.eq(false));
    let ways = match status {
        Pending => Condition::any()
            .add(stored(Snoozed).add(C::SnoozedUntil.lte(now)).add(open()))
            .add(
                undecided_deferred()
                    .add(C::DeferredUntil.lte(now))
                    .add(open()),
            ),
        Expired => Condition::any()
            .add(stored(Pending))
            .add(stored(Snoozed).add(closed()))
            .add(undecided_deferred().add(closed())),
        Approved => stored(Deferred)
            .add(C::ApprovedAwaitingSend.eq(true))
            .add(C::DeferredUntil.lte(now)),
        // A fired timer always moves the row on: nothing shows these because of one. (An empty
        // condition would be dropped from the one it is added to, not read as false.)
        Snoozed | Deferred | Rejected | AutoExecuted => Condition::all().add(Expr::val(1).eq(0)),
    };
    Condition::all().add(timer_due(now)).add(ways)
}

/// How many of a location's actions show each status at `now`, per agent (of one agent, with
/// `agent_id`): the kept counts, corrected by the location's `fired` rows.
pub async fn by_agent_and_status<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    agent_id: Option<Uuid>,
    fired: &Fired,
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
    let shifts = match fired {
        Fired::Rows(rows) => rows
            .iter()
            .filter(|row| agent_id.is_none_or(|agent_id| row.agent_id == agent_id))
            .map(|row| (row.agent_id, row.status, row.shown_at(now), 1))
            .collect(),
        Fired::Backlog => backlog_shifts(db, location_id, agent_id, now).await?,
    };
    for (agent, stored, shown, rows) in shifts {
        if shown != stored {
            *counts.entry((agent, stored)).or_default() -= rows;
            *counts.entry((agent, shown)).or_default() += rows;
        }
    }
    Ok(counts
        .into_iter()
        .map(|(key, count)| (key, u64::try_from(count).unwrap_or_default()))
        .collect())
}
