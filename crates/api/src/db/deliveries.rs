//! The delivery outbox: rows written in the decision's transaction, claimed by one worker at a
//! time, and the record of each attempt.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    delivery::{
        Delivery, DeliveryChannel, DeliveryState, FailedAttemptEntry, SentEntry, StoppedEntry,
    },
    dto::{ActionChanged, HistoryKind, OutcomeKind, Page},
    EventKind,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    actions::{insert_history, lifecycle_of, NewEvent},
    entities::{action_outcomes, action_responses, actions, customer_history, deliveries},
    outbox,
};
use crate::bus::{EventBus, LocationChange};

/// The message a delivery carries, rendered when the action was approved. An email's plain-text
/// alternative is not kept: it is [`text_alternative`] of the HTML, derived wherever it is sent or
/// shown (rendering it was half the work of rendering a message, in a bulk approval of 500).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub recipient: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub body_html: Option<String>,
    pub script: Option<String>,
}

/// A message's HTML as plain text: the alternative an email carries, and the text the preview,
/// a delivery and an internal note's history entry show.
pub fn text_alternative(html: &str) -> Result<String, html2text::Error> {
    html2text::from_read(html.as_bytes(), usize::MAX).map(|text| text.trim_end().to_owned())
}

/// The plain text of a kept message, for showing: its HTML is what ammonia wrote, which
/// html2text always reads (sending reports the error instead).
fn shown_text(delivery: &deliveries::Model) -> Option<String> {
    let html = delivery.body_html.as_deref()?;
    text_alternative(html).ok()
}

/// A delivery to schedule: the one way a delivery row is built.
pub fn new_row(
    action: &actions::Model,
    message: Message,
    deliver_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> deliveries::Model {
    deliveries::Model {
        id: Uuid::now_v7(),
        location_id: action.location_id,
        action_id: action.id,
        channel: DeliveryChannel::for_action(action.action_type),
        state: DeliveryState::Scheduled,
        deliver_at,
        lease_until: None,
        attempts: 0,
        last_error: None,
        recipient: message.recipient,
        sender: message.sender,
        subject: message.subject,
        body_html: message.body_html,
        script: message.script,
        provider_id: None,
        created_at: now,
        updated_at: now,
        sent_at: None,
    }
}

/// Claims up to `limit` deliveries due at `now` for `lease` (see [`outbox::claim_due`]).
pub async fn claim_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<deliveries::Model>, DbErr> {
    let mut claimed = outbox::claim_due::<deliveries::Entity>(db, now, lease, limit, None).await?;
    // Oldest first: ids grow with time, so events leave in the order they happened.
    claimed.sort_by_key(|row| (row.deliver_at, row.id));
    Ok(claimed)
}

/// The deliveries not yet done with, and since when the longest-waiting due one has waited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Scheduled (due or not) or being sent.
    pub waiting: u64,
    /// When the oldest scheduled delivery that is due at `now` fell due.
    pub oldest_due: Option<DateTime<Utc>>,
}

/// The outbox's backlog at `now`.
pub async fn backlog(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Backlog, DbErr> {
    let waiting = deliveries::Entity::find()
        .filter(deliveries::Column::State.is_in([DeliveryState::Scheduled, DeliveryState::Sending]))
        .count(db)
        .await?;
    let oldest_due = deliveries::Entity::find()
        .select_only()
        .column(deliveries::Column::DeliverAt)
        .filter(deliveries::Column::State.eq(DeliveryState::Scheduled))
        .filter(deliveries::Column::DeliverAt.lte(now))
        .order_by_asc(deliveries::Column::DeliverAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    Ok(Backlog {
        waiting,
        oldest_due,
    })
}

/// Gives claimed deliveries that were not sent back to the outbox (a worker stopping), unless
/// another worker took them over meanwhile.
pub async fn release(
    db: &DatabaseConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::release::<deliveries::Entity>(db, ids, now).await
}

/// Records how an attempt ended, unless another worker took the delivery over meanwhile;
/// whether it was recorded.
async fn finish_attempt<C: ConnectionTrait>(
    db: &C,
    delivery: &deliveries::Model,
    update: deliveries::ActiveModel,
) -> Result<bool, DbErr> {
    let result = deliveries::Entity::update_many()
        .set(update)
        .filter(deliveries::Column::Id.eq(delivery.id))
        .filter(deliveries::Column::State.eq(DeliveryState::Sending))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The action a delivery belongs to.
async fn action_of<C: ConnectionTrait>(
    db: &C,
    delivery: &deliveries::Model,
) -> Result<Option<actions::Model>, DbErr> {
    actions::Entity::find_by_id(delivery.action_id)
        .one(db)
        .await
}

/// Adds what happened to a delivery to its action's history, done by `actor`.
async fn add_history<C: ConnectionTrait>(
    db: &C,
    action: &actions::Model,
    kind: EventKind,
    actor: &str,
    now: DateTime<Utc>,
    data: serde_json::Value,
) -> Result<(), DbErr> {
    let event = NewEvent {
        action,
        kind,
        from: None,
        to: None,
        version: action.version,
        actor,
        at: now,
        data,
    };
    insert_history(db, vec![event.into_row()]).await
}

/// What the `sent` entry of an action's history says of its delivery: where it went, and
/// which attempt took it there.
pub fn sent_details(
    delivery: &deliveries::Model,
    provider_id: Option<&str>,
    attempt: i32,
) -> serde_json::Value {
    json!(SentEntry {
        delivery_id: delivery.id,
        channel: delivery.channel,
        to: delivery.recipient.clone(),
        subject: delivery.subject.clone(),
        provider_id: provider_id.map(str::to_owned),
        attempt,
    })
}

/// Records a delivery that went out, with the history entry (and, for a note or task, the
/// customer's history entry) that shows it.
pub async fn record_sent(
    db: &DatabaseConnection,
    delivery: &deliveries::Model,
    provider_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let update = deliveries::ActiveModel {
        state: Set(DeliveryState::Sent),
        attempts: Set(delivery.attempts + 1),
        provider_id: Set(provider_id.clone()),
        lease_until: Set(None),
        last_error: Set(None),
        sent_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    };
    let action = if finish_attempt(&txn, delivery, update).await? {
        action_of(&txn, delivery).await?
    } else {
        None
    };
    if let Some(action) = action {
        if delivery.channel == DeliveryChannel::Internal {
            customer_history::Entity::insert(
                customer_history::Model {
                    id: Uuid::now_v7(),
                    location_id: action.location_id,
                    customer_id: action.customer_id,
                    kind: HistoryKind::Activity,
                    occurred_at: now,
                    summary: format!("{}: {}", action.action_type.label(), action.headline),
                    data: json!({ "action_id": action.id, "text": shown_text(delivery) }),
                }
                .into_active_model(),
            )
            .exec(&txn)
            .await?;
        }
        let data = sent_details(delivery, provider_id.as_deref(), delivery.attempts + 1);
        add_history(&txn, &action, EventKind::Sent, "system", now, data).await?;
    }
    txn.commit().await
}

/// Records a failed attempt: scheduled again at `retry_at`, or `failed` for good, with the
/// history entry that says which and why.
pub async fn record_failure(
    db: &DatabaseConnection,
    delivery: &deliveries::Model,
    (state, retry_at): (DeliveryState, DateTime<Utc>),
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let update = deliveries::ActiveModel {
        state: Set(state),
        attempts: Set(delivery.attempts + 1),
        deliver_at: Set(retry_at),
        lease_until: Set(None),
        last_error: Set(Some(error.to_owned())),
        updated_at: Set(now),
        ..Default::default()
    };
    // Every attempt shows in the history: each retry, and the failure for good.
    if finish_attempt(&txn, delivery, update).await? {
        if let Some(action) = action_of(&txn, delivery).await? {
            let given_up = state == DeliveryState::Failed;
            let entry = FailedAttemptEntry {
                delivery_id: delivery.id,
                error: error.to_owned(),
                attempt: delivery.attempts + 1,
                retry_at: (!given_up).then_some(retry_at),
            };
            let kind = if given_up {
                EventKind::DeliveryFailed
            } else {
                EventKind::DeliveryAttemptFailed
            };
            add_history(&txn, &action, kind, "system", now, json!(entry)).await?;
        }
    }
    txn.commit().await
}

/// Schedules a `failed` delivery of the location again, now, with a fresh count of attempts,
/// and adds to its action's history that `actor` did. `None` when there is no such delivery or
/// it has not failed.
pub async fn retry(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<deliveries::Model>, DbErr> {
    let txn = db.begin().await?;
    let result = deliveries::Entity::update_many()
        .set(deliveries::ActiveModel {
            state: Set(DeliveryState::Scheduled),
            attempts: Set(0),
            deliver_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(deliveries::Column::LocationId.eq(location_id))
        .filter(deliveries::Column::Id.eq(id))
        .filter(deliveries::Column::State.eq(DeliveryState::Failed))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let delivery = find(&txn, location_id, id).await?;
    if let Some(delivery) = &delivery {
        if let Some(action) = action_of(&txn, delivery).await? {
            let data = json!({ "delivery_id": delivery.id, "last_error": delivery.last_error });
            add_history(&txn, &action, EventKind::DeliveryRetried, actor, now, data).await?;
        }
    }
    txn.commit().await?;
    Ok(delivery)
}

/// The deliveries of `action_ids` that were not taken back, by action: whether each can still
/// be is [`inbox_domain::delivery::check_undoable`]'s to say.
pub async fn live_for(
    db: &DatabaseConnection,
    location_id: Uuid,
    action_ids: &[Uuid],
) -> Result<HashMap<Uuid, deliveries::Model>, DbErr> {
    Ok(deliveries::Entity::find()
        .filter(deliveries::Column::LocationId.eq(location_id))
        .filter(deliveries::Column::ActionId.is_in(action_ids.iter().copied()))
        .filter(deliveries::Column::State.ne(DeliveryState::Cancelled))
        // Oldest first, so the newest of an action's deliveries is the one kept.
        .order_by_asc(deliveries::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|delivery| (delivery.action_id, delivery))
        .collect())
}

/// The action's delivery that was not taken back, if there is one.
pub async fn live_of(
    db: &DatabaseConnection,
    location_id: Uuid,
    action_id: Uuid,
) -> Result<Option<deliveries::Model>, DbErr> {
    deliveries::Entity::find()
        .filter(deliveries::Column::LocationId.eq(location_id))
        .filter(deliveries::Column::ActionId.eq(action_id))
        .filter(deliveries::Column::State.ne(DeliveryState::Cancelled))
        .order_by_desc(deliveries::Column::Id)
        .one(db)
        .await
}

/// One delivery of the location, if it exists.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    id: Uuid,
) -> Result<Option<deliveries::Model>, DbErr> {
    deliveries::Entity::find_by_id(id)
        .filter(deliveries::Column::LocationId.eq(location_id))
        .one(db)
        .await
}

/// A page of the location's deliveries, newest first (ids grow with time), after `cursor`.
pub async fn page(
    db: &DatabaseConnection,
    location_id: Uuid,
    state: Option<DeliveryState>,
    cursor: Option<Uuid>,
    limit: u64,
) -> Result<Page<Delivery>, DbErr> {
    let mut filtered =
        deliveries::Entity::find().filter(deliveries::Column::LocationId.eq(location_id));
    if let Some(state) = state {
        filtered = filtered.filter(deliveries::Column::State.eq(state));
    }
    let page = outbox::log_page(
        db,
        filtered,
        deliveries::Column::Id,
        |row| row.id,
        cursor,
        limit,
    )
    .await?;
    Ok(Page {
        items: page.items.into_iter().map(view).collect(),
        next_cursor: page.next_cursor,
        total: page.total,
        total_exact: page.total_exact,
    })
}

/// A delivery row as the API shows it.
pub fn view(row: deliveries::Model) -> Delivery {
    let body_text = shown_text(&row);
    Delivery {
        id: row.id,
        action_id: row.action_id,
        channel: row.channel,
        state: row.state,
        deliver_at: row.deliver_at,
        attempts: row.attempts,
        last_error: row.last_error,
        recipient: row.recipient,
        sender: row.sender,
        subject: row.subject,
        body_text,
        body_html: row.body_html,
        script: row.script,
        provider_id: row.provider_id,
        created_at: row.created_at,
        sent_at: row.sent_at,
    }
}

#[derive(Debug, FromQueryResult)]
struct SentToCustomer {
    customer_id: Uuid,
    sent: i64,
}

/// How many outbound messages (emails and calls, not internal notes) each of `customer_ids` has
/// been sent since `since`, counting those approved and waiting to leave: what the location's
/// contact cap counts. Customers sent none are absent.
pub async fn sent_to_customers<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    customer_ids: &[Uuid],
    since: DateTime<Utc>,
) -> Result<HashMap<Uuid, u64>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let query = Query::select()
        .expr_as(
            Expr::col((actions::Entity, actions::Column::CustomerId)),
            Alias::new("customer_id"),
        )
        .expr_as(
            Expr::col((deliveries::Entity, deliveries::Column::Id)).count(),
            Alias::new("sent"),
        )
        .from(deliveries::Entity)
        .inner_join(
            actions::Entity,
            Expr::col((actions::Entity, actions::Column::Id))
                .equals((deliveries::Entity, deliveries::Column::ActionId)),
        )
        .and_where(Expr::col((deliveries::Entity, deliveries::Column::LocationId)).eq(location_id))
        .and_where(
            Expr::col((actions::Entity, actions::Column::CustomerId))
                .is_in(customer_ids.iter().copied()),
        )
        .and_where(
            Expr::col((deliveries::Entity, deliveries::Column::Channel))
                .ne(DeliveryChannel::Internal.as_str()),
        )
        .and_where(
            Expr::col((deliveries::Entity, deliveries::Column::State)).is_in([
                DeliveryState::Scheduled.as_str(),
                DeliveryState::Sending.as_str(),
                DeliveryState::Sent.as_str(),
            ]),
        )
        .and_where(Expr::col((deliveries::Entity, deliveries::Column::CreatedAt)).gte(since))
        .group_by_col((actions::Entity, actions::Column::CustomerId))
        .to_owned();
    Ok(
        SentToCustomer::find_by_statement(db.get_database_backend().build(&query))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.customer_id, u64::try_from(row.sent).unwrap_or_default()))
            .collect(),
    )
}

/// Why `delivery`'s message is moot, if it is: what its customer did, as reported after its
/// action was decided (proposed, or approved: a reviewer who approved knowing of it meant it;
/// see [`OutcomeKind::moots_outreach`]): an outcome such as a payment made, or a reply linked
/// to any of their actions.
pub async fn moot_since<C: ConnectionTrait>(
    db: &C,
    delivery: &deliveries::Model,
) -> Result<Option<String>, DbErr> {
    use sea_orm::sea_query::Query;
    let Some(action) = action_of(db, delivery).await? else {
        return Ok(None);
    };
    let known_since = action.approved_at.map_or(action.created_at, |approved| {
        approved.max(action.created_at)
    });
    let customers_actions = Query::select()
        .column(actions::Column::Id)
        .from(actions::Entity)
        .and_where(actions::Column::LocationId.eq(action.location_id))
        .and_where(actions::Column::CustomerId.eq(action.customer_id))
        .to_owned();
    let moot_kinds: Vec<OutcomeKind> = OutcomeKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.moots_outreach())
        .collect();
    let outcome = action_outcomes::Entity::find()
        .filter(action_outcomes::Column::LocationId.eq(action.location_id))
        .filter(action_outcomes::Column::ActionId.in_subquery(customers_actions.clone()))
        .filter(action_outcomes::Column::Kind.is_in(moot_kinds))
        .filter(action_outcomes::Column::RecordedAt.gt(known_since))
        .order_by_asc(action_outcomes::Column::RecordedAt)
        .one(db)
        .await?;
    if let Some(outcome) = outcome {
        return Ok(Some(format!(
            "Not sent: the customer's “{}” was reported after this was approved.",
            outcome.kind.label().to_lowercase()
        )));
    }
    let reply = action_responses::Entity::find()
        .filter(action_responses::Column::LocationId.eq(action.location_id))
        .filter(action_responses::Column::ActionId.in_subquery(customers_actions))
        .filter(action_responses::Column::RecordedAt.gt(known_since))
        .one(db)
        .await?;
    Ok(reply.map(|_| "Not sent: the customer replied after this was approved.".to_owned()))
}

/// Records a delivery that was not sent because it no longer held (`reason`), with the history
/// entry that says why, and announces the action's change so that its reviewers see it at once.
pub async fn record_stopped(
    db: &DatabaseConnection,
    bus: &EventBus,
    delivery: &deliveries::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let update = deliveries::ActiveModel {
        state: Set(DeliveryState::Stopped),
        lease_until: Set(None),
        last_error: Set(Some(reason.to_owned())),
        updated_at: Set(now),
        ..Default::default()
    };
    let mut announced = Vec::new();
    if finish_attempt(&txn, delivery, update).await? {
        if let Some(action) = action_of(&txn, delivery).await? {
            let entry = StoppedEntry {
                delivery_id: delivery.id,
                reason: reason.to_owned(),
            };
            add_history(
                &txn,
                &action,
                EventKind::DeliveryStopped,
                "system",
                now,
                json!(entry),
            )
            .await?;
            announced.push(LocationChange {
                location_id: action.location_id,
                change: ActionChanged {
                    id: action.id,
                    status: lifecycle_of(&action).status_at(now),
                    version: action.version,
                },
            });
        }
    }
    bus.stage(&txn, &announced).await?;
    txn.commit().await?;
    for announcement in announced {
        bus.committed(announcement);
    }
    Ok(())
}
