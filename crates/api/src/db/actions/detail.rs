//! One action in full: draft, customer, agent, history, outcomes, replies and the customer's
//! context.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::{ActionDetail, AgentSummary, CustomerResponse, Decisions, Draft, Outcome, Trigger},
    Channel,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{customer_of, lifecycle_of, list};
use crate::db::{
    customers, deliveries,
    entities::{
        action_events, action_outcomes, action_responses, agents, api_keys, locations, users,
    },
    parse_json,
    safeguards::SafeguardFacts,
    StoreError,
};

/// How much of a customer's history the detail panel shows.
const DETAIL_HISTORY_LIMIT: u64 = 25;
/// How many earlier proactive actions the detail panel shows.
const DETAIL_EARLIER_ACTIONS_LIMIT: u64 = 10;

/// One action in full, with its customer, agent, history and the customer's context.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn get(
    db: &DatabaseConnection,
    location: &locations::Model,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<ActionDetail, StoreError> {
    let location_id = location.id;
    let action = super::find(db, location_id, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("No action {id} in this location.")))?;
    let customer = customer_of(db, &action).await?;
    let agent = agents::Entity::find_by_id(action.agent_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("action {id} has no agent")))?;
    let events = action_events::Entity::find()
        .filter(action_events::Column::LocationId.eq(location_id))
        .filter(action_events::Column::ActionId.eq(id))
        .order_by_asc(action_events::Column::OccurredAt)
        .order_by_asc(action_events::Column::Version)
        .all(db)
        .await?;
    let customer_history =
        customers::recent_history(db, location_id, customer.id, DETAIL_HISTORY_LIMIT).await?;
    let earlier_actions = list::for_customer(
        db,
        location,
        customer.id,
        Some((action.id, action.created_at)),
        DETAIL_EARLIER_ACTIONS_LIMIT,
        now,
    )
    .await?;

    let outcomes = action_outcomes::Entity::find()
        .filter(action_outcomes::Column::LocationId.eq(location_id))
        .filter(action_outcomes::Column::ActionId.eq(id))
        .order_by_asc(action_outcomes::Column::OccurredAt)
        .all(db)
        .await?;
    let responses = action_responses::Entity::find()
        .filter(action_responses::Column::LocationId.eq(location_id))
        .filter(action_responses::Column::ActionId.eq(id))
        .order_by_asc(action_responses::Column::ReceivedAt)
        .all(db)
        .await?;

    let mut names = actor_names(db, location_id, &events).await?;
    names.insert(format!("agent:{}", agent.id), agent.name.clone());

    let lifecycle = lifecycle_of(&action);
    let status = lifecycle.status_at(now);
    // Only a decision still to take needs them.
    let warnings = if status.is_reviewable() {
        SafeguardFacts::load(db, location, &[customer.id], now)
            .await?
            .approval_warnings(&action, &customer.full_name)?
    } else {
        Vec::new()
    };
    let channel = action.channel;
    let variables: BTreeMap<String, String> = parse_json(action.variables)?;
    let is_email = channel == Some(Channel::Email);
    let draft = Draft {
        to: match channel {
            Some(Channel::Email) => customer.email.clone(),
            Some(Channel::Voice) => customer.phone.clone(),
            None => None,
        },
        from: is_email.then(|| location.sending_address.clone()),
        subject: action.subject,
        body: action.body,
        script: action.script,
        tone: action.tone,
        estimated_duration_seconds: action.estimated_duration_seconds,
        signature: is_email.then(|| location.signature.clone()),
        variables,
    };
    Ok(ActionDetail {
        id: action.id,
        status,
        version: action.version,
        action_type: action.action_type,
        channel,
        priority: action.priority,
        confidence: list::confidence(action.confidence)?,
        confidence_factors: parse_json(action.confidence_factors)?,
        trigger: Trigger {
            summary: action.trigger_summary,
            data: action.trigger_data,
        },
        draft,
        customer: customers::profile(customer),
        agent: AgentSummary {
            id: agent.id,
            name: agent.name,
        },
        external_id: action.external_id,
        created_at: action.created_at,
        updated_at: action.updated_at,
        expires_at: action.expires_at,
        not_before: action.not_before,
        decisions: Decisions {
            first_reviewed_at: action.first_reviewed_at,
            approved_at: action.approved_at,
            rejected_at: action.rejected_at,
            rejection_reason: action.rejection_reason,
            rejection_note: action.rejection_note,
            snoozed_until: action.snoozed_until,
            snooze_note: action.snooze_note,
            deferred_until: action.deferred_until,
            expired_at: action.expired_at,
            auto_executed_at: action.auto_executed_at,
        },
        history: events.into_iter().map(|event| event.view(&names)).collect(),
        customer_history,
        earlier_actions,
        outcomes: outcomes.into_iter().map(outcome_view).collect(),
        responses: responses.into_iter().map(response_view).collect(),
        delivery: deliveries::live_of(db, location_id, id)
            .await?
            .map(deliveries::view),
        warnings,
        audit: action.audit_state,
    })
}

pub fn outcome_view(row: action_outcomes::Model) -> Outcome {
    Outcome {
        id: row.id,
        kind: row.kind,
        occurred_at: row.occurred_at,
        data: row.data,
        recorded_at: row.recorded_at,
    }
}

pub fn response_view(row: action_responses::Model) -> CustomerResponse {
    CustomerResponse {
        id: row.id,
        conversation_id: row.conversation_id,
        excerpt: row.excerpt,
        received_at: row.received_at,
        recorded_at: row.recorded_at,
    }
}

/// The names of `events`' people and API keys, by actor (`user:<id>`, `key:<id>`): one read of
/// each kind that appears.
async fn actor_names(
    db: &DatabaseConnection,
    location_id: Uuid,
    events: &[action_events::Model],
) -> Result<HashMap<String, String>, DbErr> {
    let mut names = HashMap::new();
    let users = (
        users::Column::Id,
        users::Column::Name,
        users::Column::LocationId,
    );
    names.extend(named::<users::Entity>(db, location_id, events, "user:", users).await?);
    let keys = (
        api_keys::Column::Id,
        api_keys::Column::Name,
        api_keys::Column::LocationId,
    );
    names.extend(named::<api_keys::Entity>(db, location_id, events, "key:", keys).await?);
    Ok(names)
}

/// The names, by actor, of the rows of `E` (columns: id, name, location) that `events`' actors
/// with `prefix` name; no read when none does.
async fn named<E: EntityTrait>(
    db: &DatabaseConnection,
    location_id: Uuid,
    events: &[action_events::Model],
    prefix: &str,
    (id, name, location): (E::Column, E::Column, E::Column),
) -> Result<Vec<(String, String)>, DbErr> {
    let mut ids: Vec<Uuid> = events
        .iter()
        .filter_map(|event| event.actor.strip_prefix(prefix)?.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ids.sort();
    ids.dedup();
    let found: Vec<(Uuid, String)> = E::find()
        .select_only()
        .column(id)
        .column(name)
        .filter(location.eq(location_id))
        .filter(id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .map(|(id, name)| (format!("{prefix}{id}"), name))
        .collect())
}
