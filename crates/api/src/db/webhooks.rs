//! Outbound webhooks: the endpoints admins register, the outbox of messages to them (written in
//! the transaction of the history entry they announce), and each endpoint's delivery log.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    delivery::DeliveryState,
    dto::Page,
    webhook::{WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookMessage, WebhookMessageData},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use super::{
    entities::{action_events, webhook_deliveries, webhook_endpoints},
    idempotency::ClaimMark,
    outbox, parse_json, StoreError,
};

/// Registers an endpoint, marking the request's `claim` committed with it.
pub async fn insert_endpoint(
    db: &DatabaseConnection,
    endpoint: webhook_endpoints::Model,
    claim: Option<ClaimMark>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    webhook_endpoints::Entity::insert(endpoint.into_active_model())
        .exec(&txn)
        .await?;
    if let Some(claim) = claim {
        claim.write(&txn, None).await?;
    }
    txn.commit().await
}

/// One endpoint of the location, removed or not.
pub async fn find_endpoint(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
) -> Result<Option<webhook_endpoints::Model>, DbErr> {
    webhook_endpoints::Entity::find_by_id(id)
        .filter(webhook_endpoints::Column::LocationId.eq(location_id))
        .one(db)
        .await
}

/// The location's endpoints that were not removed, newest first.
pub async fn endpoints(
    db: &DatabaseConnection,
    location_id: Uuid,
) -> Result<Vec<webhook_endpoints::Model>, DbErr> {
    webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::LocationId.eq(location_id))
        .filter(webhook_endpoints::Column::DeletedAt.is_null())
        .order_by_desc(webhook_endpoints::Column::Id)
        .all(db)
        .await
}

/// Removes an endpoint: it is sent nothing more, and what still waited for it is cancelled.
/// `false` when the location has no such endpoint (or it was removed already).
pub async fn remove_endpoint(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let removed = webhook_endpoints::Entity::update_many()
        .set(webhook_endpoints::ActiveModel {
            deleted_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(webhook_endpoints::Column::LocationId.eq(location_id))
        .filter(webhook_endpoints::Column::Id.eq(id))
        .filter(webhook_endpoints::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if removed.rows_affected == 0 {
        return Ok(false);
    }
    webhook_deliveries::Entity::update_many()
        .set(webhook_deliveries::ActiveModel {
            state: Set(DeliveryState::Cancelled),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(webhook_deliveries::Column::EndpointId.eq(id))
        .filter(webhook_deliveries::Column::State.eq(DeliveryState::Scheduled))
        .exec(db)
        .await?;
    Ok(true)
}

/// An endpoint as the API shows it, without its secret.
pub fn endpoint_view(row: &webhook_endpoints::Model) -> Result<WebhookEndpoint, StoreError> {
    Ok(WebhookEndpoint {
        id: row.id,
        url: row.url.clone(),
        events: parse_json(row.events.clone())?,
        description: row.description.clone(),
        created_at: row.created_at,
    })
}

/// Queues a message to every endpoint subscribed to what `history` (entries being written in
/// the same transaction) announces. One query finds the endpoints, whatever the number of
/// entries.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    history: &[action_events::Model],
) -> Result<(), DbErr> {
    let announced: Vec<_> = history
        .iter()
        .filter_map(|entry| Some((entry, WebhookEvent::for_history(entry.kind)?)))
        .collect();
    let locations: HashSet<Uuid> = announced
        .iter()
        .map(|(entry, _)| entry.location_id)
        .collect();
    if locations.is_empty() {
        return Ok(());
    }
    let endpoints = webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::LocationId.is_in(locations))
        .filter(webhook_endpoints::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let subscriptions: Vec<(webhook_endpoints::Model, Vec<WebhookEvent>)> = endpoints
        .into_iter()
        .map(|endpoint| {
            let events = serde_json::from_value(endpoint.events.clone()).unwrap_or_default();
            (endpoint, events)
        })
        .collect();
    let mut messages = Vec::new();
    for (entry, event) in announced {
        let message = WebhookMessage {
            event,
            timestamp: entry.occurred_at,
            data: WebhookMessageData {
                action_id: entry.action_id,
                // Written in the change's transaction: the payload names actors by id only.
                history: entry.clone().view(&std::collections::HashMap::new()),
            },
        };
        let payload = serde_json::to_string(&message)
            .map_err(|error| DbErr::Custom(format!("webhook payload: {error}")))?;
        for (endpoint, _) in subscriptions.iter().filter(|(endpoint, events)| {
            endpoint.location_id == entry.location_id && events.contains(&event)
        }) {
            messages.push(
                webhook_deliveries::Model {
                    id: Uuid::now_v7(),
                    location_id: entry.location_id,
                    endpoint_id: endpoint.id,
                    event,
                    action_id: Some(entry.action_id),
                    payload: payload.clone(),
                    state: DeliveryState::Scheduled,
                    deliver_at: entry.occurred_at,
                    lease_until: None,
                    attempts: 0,
                    last_error: None,
                    response_status: None,
                    created_at: entry.occurred_at,
                    updated_at: entry.occurred_at,
                    sent_at: None,
                }
                .into_active_model(),
            );
        }
    }
    if !messages.is_empty() {
        webhook_deliveries::Entity::insert_many(messages)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Claims up to `limit` messages due at `now` for `lease` (see [`outbox::claim_due`]).
pub async fn claim_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<webhook_deliveries::Model>, DbErr> {
    let mut claimed =
        outbox::claim_due::<webhook_deliveries::Entity>(db, now, lease, limit, None).await?;
    // Oldest first: ids grow with time, so events leave in the order they happened.
    claimed.sort_by_key(|row| (row.deliver_at, row.id));
    Ok(claimed)
}

/// The endpoints among `ids`, removed or not.
pub async fn endpoints_by_id(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<webhook_endpoints::Model>, DbErr> {
    webhook_endpoints::Entity::find()
        .filter(webhook_endpoints::Column::Id.is_in(ids))
        .all(db)
        .await
}

/// How an attempt ended.
pub struct Attempt {
    /// `Sent`, `Scheduled` (to retry at `deliver_at`), `Failed` or `Cancelled`.
    pub state: DeliveryState,
    pub deliver_at: DateTime<Utc>,
    pub response_status: Option<u16>,
    pub error: Option<String>,
}

/// Records an attempt, unless another worker took the message over meanwhile.
pub async fn record_attempt(
    db: &DatabaseConnection,
    message: &webhook_deliveries::Model,
    attempt: Attempt,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let sent = attempt.state == DeliveryState::Sent;
    webhook_deliveries::Entity::update_many()
        .set(webhook_deliveries::ActiveModel {
            state: Set(attempt.state),
            attempts: Set(message.attempts + 1),
            deliver_at: Set(attempt.deliver_at),
            lease_until: Set(None),
            last_error: Set(attempt.error),
            response_status: Set(attempt.response_status.map(i32::from)),
            updated_at: Set(now),
            sent_at: Set(sent.then_some(now)),
            ..Default::default()
        })
        .filter(webhook_deliveries::Column::Id.eq(message.id))
        .filter(webhook_deliveries::Column::State.eq(DeliveryState::Sending))
        .exec(db)
        .await
        .map(drop)
}

/// A page of an endpoint's delivery log, newest first (ids grow with time), after `cursor`.
pub async fn log_page(
    db: &DatabaseConnection,
    location_id: Uuid,
    endpoint_id: Uuid,
    cursor: Option<Uuid>,
    limit: u64,
) -> Result<Page<WebhookDelivery>, StoreError> {
    let filtered = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::LocationId.eq(location_id))
        .filter(webhook_deliveries::Column::EndpointId.eq(endpoint_id));
    let page = outbox::log_page(
        db,
        filtered,
        webhook_deliveries::Column::Id,
        |row| row.id,
        cursor,
        limit,
    )
    .await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(log_entry)
            .collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
        total: page.total,
        total_exact: page.total_exact,
    })
}

fn log_entry(row: webhook_deliveries::Model) -> Result<WebhookDelivery, StoreError> {
    Ok(WebhookDelivery {
        id: row.id,
        endpoint_id: row.endpoint_id,
        event: row.event,
        action_id: row.action_id,
        state: row.state,
        deliver_at: row.deliver_at,
        attempts: row.attempts,
        last_error: row.last_error,
        response_status: row.response_status,
        payload: serde_json::from_str(&row.payload)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?,
        created_at: row.created_at,
        sent_at: row.sent_at,
    })
}
