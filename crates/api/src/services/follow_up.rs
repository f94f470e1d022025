//! What followed a sent action: an integration reports an outcome, or links a customer's reply.

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::{CustomerResponse, LinkResponse, Outcome, OutcomeKind, ReportOutcome},
    problem::FieldErrors,
    review, EventKind,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    change::{conflict, load, not_found},
    Actor, Context, ServiceError,
};
use crate::{
    clock::to_storage_precision,
    db::{
        self,
        actions::{
            detail::{outcome_view, response_view},
            lifecycle_of, NewEvent,
        },
        entities::{action_outcomes, action_responses, actions},
    },
};

/// The longest reply excerpt kept.
const MAX_EXCERPT_CHARS: usize = 2_000;
/// The longest conversation id (AI Conversations' ids are far shorter).
const MAX_CONVERSATION_ID_CHARS: usize = 200;

/// Outcomes and responses belong to actions that went out.
fn require_sent(row: &actions::Model, now: DateTime<Utc>, what: &str) -> Result<(), ServiceError> {
    let status = lifecycle_of(row).status_at(now);
    if status.is_sent() {
        Ok(())
    } else {
        Err(conflict(
            row,
            now,
            format!("Only a sent action has {what}; this one is {status}."),
        ))
    }
}

/// A history entry that records something without moving the action.
fn note<'a>(
    row: &'a actions::Model,
    kind: EventKind,
    actor: &'a Actor,
    now: DateTime<Utc>,
    data: serde_json::Value,
) -> NewEvent<'a> {
    NewEvent {
        action: row,
        kind,
        from: None,
        to: None,
        version: row.version,
        actor: &actor.0,
        at: now,
        data,
    }
}

/// The action `id`, which a key bound to an agent (`agent`) may follow up only if that agent
/// proposed it: another agent's action is, to it, not there.
async fn load_followed(
    ctx: &Context<'_>,
    agent: Option<Uuid>,
    id: Uuid,
) -> Result<actions::Model, ServiceError> {
    let row = load(ctx.db, ctx.location.id, id).await?;
    match agent {
        Some(agent) if agent != row.agent_id => Err(not_found(id)),
        _ => Ok(row),
    }
}

/// Records what followed a sent action; it shows in the action's history.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn report_outcome(
    ctx: &Context<'_>,
    agent: Option<Uuid>,
    id: Uuid,
    request: &ReportOutcome,
) -> Result<Outcome, ServiceError> {
    let (location, now) = (ctx.location, ctx.now);
    let row = load_followed(ctx, agent, id).await?;
    require_sent(&row, now, "an outcome")?;
    let data = match &request.data {
        serde_json::Value::Null => json!({}),
        data if data.is_object() => data.clone(),
        _ => return Err(ServiceError::invalid("data", "must be a JSON object")),
    };
    let mut errors = FieldErrors::default();
    errors.check_json_size("data", &data, review::MAX_DATA_BYTES);
    errors.finish(()).map_err(ServiceError::Invalid)?;
    let outcome = action_outcomes::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        action_id: id,
        kind: request.kind,
        occurred_at: to_storage_precision(request.occurred_at),
        data: data.clone(),
        recorded_at: now,
    };
    let event = note(
        &row,
        EventKind::OutcomeReported,
        &ctx.actor,
        now,
        json!({ "kind": request.kind, "occurred_at": outcome.occurred_at, "data": data }),
    );
    db::follow_up::insert_outcome(ctx.db, outcome.clone(), event.into_row(), ctx.claim).await?;
    ctx.bus.touch(location.id);
    // An unsubscribe after a message its agent sent alone may cost the agent that trust. The
    // outcome is recorded whatever that check meets: a failure of it is logged, not answered.
    if request.kind == OutcomeKind::Unsubscribed {
        if let Err(error) = super::insights::demote_if_lost(ctx, &row).await {
            tracing::error!(?error, action_id = %id, "the demotion check failed");
        }
    }
    Ok(outcome_view(outcome))
}

/// Links a customer's reply to the action it answers; it shows in the action's history.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn link_response(
    ctx: &Context<'_>,
    agent: Option<Uuid>,
    id: Uuid,
    request: &LinkResponse,
) -> Result<CustomerResponse, ServiceError> {
    let (location, now) = (ctx.location, ctx.now);
    let row = load_followed(ctx, agent, id).await?;
    require_sent(&row, now, "responses")?;
    let mut errors = FieldErrors::default();
    errors.check_not_blank(
        "conversation_id",
        Some(&request.conversation_id),
        "must not be blank",
    );
    errors.check_len(
        "conversation_id",
        Some(&request.conversation_id),
        MAX_CONVERSATION_ID_CHARS,
    );
    errors.check_one_line("conversation_id", Some(&request.conversation_id));
    errors.check_len("excerpt", Some(&request.excerpt), MAX_EXCERPT_CHARS);
    errors.finish(()).map_err(ServiceError::Invalid)?;
    let response = action_responses::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        action_id: id,
        conversation_id: request.conversation_id.trim().to_owned(),
        excerpt: request.excerpt.clone(),
        received_at: to_storage_precision(request.received_at),
        recorded_at: now,
    };
    let event = note(
        &row,
        EventKind::ResponseLinked,
        &ctx.actor,
        now,
        json!({ "conversation_id": response.conversation_id, "excerpt": response.excerpt, "received_at": response.received_at }),
    );
    db::follow_up::insert_response(ctx.db, response.clone(), event.into_row(), ctx.claim).await?;
    ctx.bus.touch(location.id);
    Ok(response_view(response))
}
