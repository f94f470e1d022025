//! Actions: loading rows, the one constructor of a new row and of a history entry, and writing
//! changes as conditional updates with their history, in one transaction.

mod batch_update;
pub mod counts;
pub mod detail;
pub mod list;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use inbox_domain::{
    delivery::DeliveryState, dto::ActionChanged, review::ValidProposal, ActionStatus, EventKind,
    Lifecycle,
};
use sea_orm::{
    sea_query::{Alias, Expr},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    entities::{action_events, actions, agents, customers, deliveries},
    idempotency::ClaimMark,
    insert_rows::insert_rows,
    insights::{self, TalliedAction},
    webhooks, StoreError,
};
use crate::bus::{EventBus, LocationChange};
use counts::CountChanges;

/// One action of the location, if it exists.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    id: Uuid,
) -> Result<Option<actions::Model>, DbErr> {
    actions::Entity::find_by_id(id)
        .filter(actions::Column::LocationId.eq(location_id))
        .one(db)
        .await
}

/// The location's actions among `ids`, by id.
pub async fn find_many(
    db: &DatabaseConnection,
    location_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, actions::Model>, DbErr> {
    Ok(actions::Entity::find()
        .filter(actions::Column::LocationId.eq(location_id))
        .filter(actions::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// The customer an action is for.
pub async fn customer_of<C: ConnectionTrait>(
    db: &C,
    action: &actions::Model,
) -> Result<customers::Model, StoreError> {
    customers::Entity::find_by_id(action.customer_id)
        .filter(customers::Column::LocationId.eq(action.location_id))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("action {} has no customer", action.id)))
}

/// The location's customers among `ids`, by id.
pub async fn customers_of(
    db: &DatabaseConnection,
    location_id: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, customers::Model>, DbErr> {
    Ok(customers::Entity::find()
        .filter(customers::Column::LocationId.eq(location_id))
        .filter(customers::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|customer| (customer.id, customer))
        .collect())
}

/// The action an agent proposed under `external_id`, if any.
pub async fn find_by_external_id(
    db: &DatabaseConnection,
    location_id: Uuid,
    agent_id: Uuid,
    external_id: &str,
) -> Result<Option<Uuid>, DbErr> {
    Ok(actions::Entity::find()
        .filter(actions::Column::LocationId.eq(location_id))
        .filter(actions::Column::AgentId.eq(agent_id))
        .filter(actions::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .map(|row| row.id))
}

/// The lifecycle stored on an action row.
pub fn lifecycle_of(action: &actions::Model) -> Lifecycle {
    Lifecycle {
        status: action.status,
        expires_at: action.expires_at,
        snoozed_until: action.snoozed_until,
        deferred_until: action.deferred_until,
        approved_awaiting_send: action.approved_awaiting_send,
    }
}

/// A proposal about to become a row: the one way a new action row is built (the API, the demo
/// seed and test fixtures all come through here).
#[derive(Debug, Clone)]
pub struct NewAction<'a> {
    pub id: Uuid,
    pub location_id: Uuid,
    pub agent: &'a agents::Model,
    pub customer: &'a customers::Model,
    /// Already sanitised and validated.
    pub proposal: &'a ValidProposal,
    /// Where the lifecycle starts, from [`inbox_domain::review::initial_lifecycle`].
    pub lifecycle: Lifecycle,
    pub not_before: Option<DateTime<Utc>>,
    pub proposed_at: DateTime<Utc>,
    /// Proposed with the agent's own API key (see [`actions::Model::proposed_by_agent_key`]).
    pub by_agent_key: bool,
}

impl NewAction<'_> {
    pub fn into_row(self) -> actions::Model {
        let proposal = self.proposal;
        let now = self.proposed_at;
        actions::Model {
            id: self.id,
            location_id: self.location_id,
            agent_id: self.agent.id,
            customer_id: self.customer.id,
            external_id: proposal.external_id.clone(),
            action_type: proposal.action_type,
            channel: proposal.channel,
            headline: proposal.headline(),
            subject: proposal
                .subject
                .as_deref()
                .map(str::trim)
                .map(str::to_owned),
            body: proposal.body.clone(),
            script: proposal.script.clone(),
            tone: proposal.tone,
            estimated_duration_seconds: proposal.estimated_duration_seconds,
            confidence: i16::from(proposal.confidence.percent()),
            confidence_factors: json!(proposal.confidence_factors),
            priority: proposal.priority,
            trigger_summary: proposal.trigger.summary.clone(),
            trigger_data: proposal.trigger.data.clone(),
            variables: json!(proposal.variables),
            status: self.lifecycle.status,
            version: 1,
            created_at: now,
            updated_at: now,
            expires_at: self.lifecycle.expires_at,
            not_before: self.not_before,
            snoozed_until: None,
            snooze_note: None,
            deferred_until: self.lifecycle.deferred_until,
            approved_awaiting_send: false,
            proposed_by_agent_key: self.by_agent_key,
            precondition_url: proposal.precondition_url.clone(),
            audit_state: None,
            audit_note: None,
            first_reviewed_at: None,
            review_time_seconds: None,
            approved_at: None,
            approved_by: None,
            rejected_at: None,
            rejected_by: None,
            rejection_reason: None,
            rejection_note: None,
            expired_at: None,
            auto_executed_at: (self.lifecycle.status == ActionStatus::AutoExecuted).then_some(now),
            customer_name: self.customer.full_name.clone(),
            agent_name: self.agent.name.clone(),
        }
    }
}

/// One entry of an action's history: the one way an event row is built.
pub struct NewEvent<'a> {
    pub action: &'a actions::Model,
    pub kind: EventKind,
    pub from: Option<ActionStatus>,
    pub to: Option<ActionStatus>,
    /// The action's version after the event.
    pub version: i32,
    /// `agent:<id>`, `user:<id>`, `key:<id>` or `system`.
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

impl NewEvent<'_> {
    pub fn into_row(self) -> action_events::Model {
        action_events::Model {
            id: Uuid::now_v7(),
            location_id: self.action.location_id,
            action_id: self.action.id,
            kind: self.kind,
            from_status: self.from,
            to_status: self.to,
            actor: self.actor.to_owned(),
            occurred_at: self.at,
            version: self.version,
            data: self.data,
        }
    }
}

/// Whether a new row was written, or another with its agent's `external_id` already was.
pub enum Inserted {
    Created,
    DuplicateExternalId,
}

/// Writes a new action with its `proposed` event (and, when it was auto-executed, its
/// delivery) and announces it.
pub async fn insert(
    db: &DatabaseConnection,
    bus: &EventBus,
    row: actions::Model,
    event: action_events::Model,
    delivery: Option<deliveries::Model>,
    claim: Option<ClaimMark>,
) -> Result<Inserted, DbErr> {
    let announcement = LocationChange {
        location_id: row.location_id,
        change: ActionChanged {
            id: row.id,
            status: row.status,
            version: row.version,
        },
    };
    let counts = CountChanges::of_new([&row]);
    let txn = db.begin().await?;
    if let Err(error) = actions::Entity::insert(row.into_active_model())
        .exec(&txn)
        .await
    {
        txn.rollback().await?;
        return match error.sql_err() {
            // Another request with the same external id won the race.
            Some(SqlErr::UniqueConstraintViolation(_)) => Ok(Inserted::DuplicateExternalId),
            _ => Err(error),
        };
    }
    insert_history(&txn, vec![event]).await?;
    counts.write(&txn).await?;
    if let Some(delivery) = delivery {
        deliveries::Entity::insert(delivery.into_active_model())
            .exec(&txn)
            .await?;
    }
    if let Some(claim) = claim {
        claim.write(&txn, Some(announcement.change.id)).await?;
    }
    bus.stage(&txn, std::slice::from_ref(&announcement)).await?;
    txn.commit().await?;
    bus.committed(announcement);
    Ok(Inserted::Created)
}

/// Adds entries to actions' histories, with the webhook messages that announce them to the
/// integrations that subscribed: the one way history is written outside the seed.
pub async fn insert_history<C: ConnectionTrait>(
    db: &C,
    entries: Vec<action_events::Model>,
) -> Result<(), DbErr> {
    insert_history_of(db, entries, Vec::new()).await
}

/// [`insert_history`], given what the insight tallies read of actions the same transaction
/// changed (`changed`), as the change left them.
async fn insert_history_of<C: ConnectionTrait>(
    db: &C,
    entries: Vec<action_events::Model>,
    changed: Vec<TalliedAction>,
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    webhooks::enqueue(db, &entries).await?;
    insights::record(db, &entries, changed).await?;
    insert_rows::<action_events::Entity, _>(db, entries).await
}

/// A change ready to be written: the conditional update and the history entries it adds.
#[derive(Debug, Clone)]
pub struct PreparedChange {
    pub id: Uuid,
    pub location_id: Uuid,
    pub agent_id: Uuid,
    /// The status the row is stored with at `expected_version`, for the kept counts.
    pub stored_status: ActionStatus,
    /// The version the change was prepared against; the write is skipped if the row moved on.
    pub expected_version: i32,
    pub update: actions::ActiveModel,
    /// In order: timer transitions that had come due but were not yet written, then the change.
    pub events: Vec<action_events::Model>,
    /// The message an approval sends, written in the same transaction as the decision.
    pub delivery: Option<deliveries::Model>,
    /// The scheduled delivery an undo takes back: the change applies only if it had not left.
    pub cancels: Option<Uuid>,
    pub change: ActionChanged,
}

/// Writes prepared changes in one transaction and announces those applied. Returns, per change,
/// whether it was applied: a change whose row moved on in the meantime (its version no longer
/// matches) is skipped. When any was applied, the request's `claim` is marked committed, with
/// the action whose detail answers a retry that lost its response (none for a request whose
/// answer is not one action's detail).
pub async fn write_changes(
    db: &DatabaseConnection,
    bus: &EventBus,
    changes: &[&PreparedChange],
    claim: Option<(ClaimMark, Option<Uuid>)>,
) -> Result<Vec<bool>, DbErr> {
    let txn = db.begin().await?;
    let plain: Vec<&PreparedChange> = changes
        .iter()
        .copied()
        .filter(|change| change.cancels.is_none())
        .collect();
    let updated = batch_update::update_rows(&txn, &plain).await?;
    let updated_ids: HashSet<Uuid> = updated.iter().map(|row| row.id).collect();
    let mut applied = Vec::with_capacity(changes.len());
    let mut events = Vec::new();
    let mut outbox = Vec::new();
    let mut announced = Vec::new();
    let mut counts = CountChanges::default();
    for change in changes {
        let done = match change.cancels {
            None => updated_ids.contains(&change.id),
            // In a savepoint: an undo whose action moved on keeps its delivery scheduled.
            Some(delivery_id) => {
                let step = txn.begin().await?;
                let done =
                    cancel_delivery(&step, delivery_id).await? && update_row(&step, change).await?;
                if done {
                    step.commit().await?;
                } else {
                    step.rollback().await?;
                }
                done
            }
        };
        if done {
            if let Set(status) = change.update.status {
                counts.moved(
                    change.location_id,
                    change.agent_id,
                    change.stored_status,
                    status,
                );
            }
            events.extend(change.events.iter().cloned());
            outbox.extend(change.delivery.clone());
            announced.push(LocationChange {
                location_id: change.location_id,
                change: change.change.clone(),
            });
        }
        applied.push(done);
    }
    insert_history_of(&txn, events, updated).await?;
    counts.write(&txn).await?;
    if let Some((claim, action_id)) = claim.filter(|_| applied.contains(&true)) {
        claim.write(&txn, action_id).await?;
    }
    insert_rows::<deliveries::Entity, _>(&txn, outbox).await?;
    bus.stage(&txn, &announced).await?;
    txn.commit().await?;
    for announcement in announced {
        bus.committed(announcement);
    }
    Ok(applied)
}

/// The conditional update of one change; whether the row was still at the expected version.
async fn update_row<C: ConnectionTrait>(db: &C, change: &PreparedChange) -> Result<bool, DbErr> {
    let result = actions::Entity::update_many()
        .set(change.update.clone())
        .filter(actions::Column::Id.eq(change.id))
        .filter(actions::Column::LocationId.eq(change.location_id))
        .filter(actions::Column::Version.eq(change.expected_version))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Cancels a delivery that was never tried; whether it was still waiting.
async fn cancel_delivery<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool, DbErr> {
    let result = deliveries::Entity::update_many()
        .set(deliveries::ActiveModel {
            state: Set(DeliveryState::Cancelled),
            ..Default::default()
        })
        .filter(deliveries::Column::Id.eq(id))
        .filter(deliveries::Column::State.eq(DeliveryState::Scheduled))
        // A worker may have tried it since the undo was prepared: scheduled again, it is a retry.
        .filter(deliveries::Column::Attempts.eq(0))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// An update that only sets the lifecycle columns of `next` at `version`.
pub fn lifecycle_update(
    next: &Lifecycle,
    version: i32,
    now: DateTime<Utc>,
) -> actions::ActiveModel {
    actions::ActiveModel {
        status: Set(next.status),
        version: Set(version),
        updated_at: Set(now),
        snoozed_until: Set(next.snoozed_until),
        deferred_until: Set(next.deferred_until),
        approved_awaiting_send: Set(next.approved_awaiting_send),
        ..Default::default()
    }
}

/// When the row's next timer fires: a column the database computes from the lifecycle columns,
/// as [`Lifecycle::next_timer`] does (see the migration that adds it); it is not in the entity,
/// since nothing writes it.
pub(crate) fn next_timer_at() -> Expr {
    Expr::col((actions::Entity, Alias::new("next_timer_at")))
}

/// Rows with a timer due at `now`: undecided ones past their expiry, snoozed ones to wake,
/// deferred ones to release. Their stored status is not the one they show; the sweep stores it.
pub(crate) fn timer_due(now: DateTime<Utc>) -> Condition {
    Condition::all().add(next_timer_at().lte(now))
}

/// Rows, in any location, with a timer due at `now` (see [`timer_due`]). At most `limit`, the
/// longest due first: in the order of the `next_timer_at` index, which the query then walks
/// from its start (ordered by id, SQLite would walk every row by id instead).
pub async fn with_timer_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<actions::Model>, DbErr> {
    actions::Entity::find()
        .filter(timer_due(now))
        .order_by_asc(next_timer_at())
        .order_by_asc(actions::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The oldest timer, in any location, that is due at `now` and not yet fired by the sweep: how
/// far the sweep lags (the first row of the `next_timer_at` index).
pub async fn oldest_due_timer(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    actions::Entity::find()
        .select_only()
        .expr_as(next_timer_at(), "next_timer_at")
        .filter(timer_due(now))
        .order_by_asc(next_timer_at())
        .limit(1)
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await
        .map(Option::flatten)
}

/// The first instant after `now` at which one of the location's actions shows another status by
/// time alone, if any: until then, what its lists and actions show changes only with its
/// writes. That is the first stored timer past `now` (the first row of the
/// `(location_id, next_timer_at)` index past it) or, for a row whose timer fired but the sweep
/// has not stored yet (a snooze that ended), its expiry, which its stored timer no longer says.
pub async fn next_change_by_time(
    db: &DatabaseConnection,
    location_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let next_stored = actions::Entity::find()
        .select_only()
        .expr_as(next_timer_at(), "next_timer_at")
        .filter(actions::Column::LocationId.eq(location_id))
        .filter(next_timer_at().gt(now))
        .order_by_asc(next_timer_at())
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    let fired_expiry = actions::Entity::find()
        .select_only()
        .column(actions::Column::ExpiresAt)
        .filter(actions::Column::LocationId.eq(location_id))
        .filter(timer_due(now))
        .filter(actions::Column::ExpiresAt.gt(now))
        .order_by_asc(actions::Column::ExpiresAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    Ok(next_stored.into_iter().chain(fired_expiry).min())
}

/// Records a person's audit check of `row` (set aside and still unchecked) with its history
/// entry; `false` when it was not waiting for one (another person checked it first).
pub async fn record_audit(
    db: &DatabaseConnection,
    row: &actions::Model,
    verdict: inbox_domain::dto::AuditState,
    note: Option<String>,
    entry: action_events::Model,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let checked = actions::Entity::update_many()
        .col_expr(actions::Column::AuditState, Expr::value(verdict))
        .col_expr(actions::Column::AuditNote, Expr::value(note))
        .filter(actions::Column::LocationId.eq(row.location_id))
        .filter(actions::Column::Id.eq(row.id))
        .filter(actions::Column::AuditState.eq(inbox_domain::dto::AuditState::Pending))
        .exec(&txn)
        .await?;
    if checked.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    insert_history(&txn, vec![entry]).await?;
    txn.commit().await?;
    Ok(true)
}
