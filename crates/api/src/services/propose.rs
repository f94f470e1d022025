//! An agent proposes an action.

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    dto::{ActionDetail, AuditState, PreviewDraft, ProposeAction},
    problem::FieldErrors,
    review::{
        check_body_bounds, check_reachable, initial_lifecycle, unknown_variables, validate_proposal,
    },
    ActionStatus, Channel, EventKind,
};
use sea_orm::DatabaseConnection;
use serde_json::json;
use uuid::Uuid;

use super::{
    change::sanitize_html,
    render::{message, values_for},
    review::next_opening,
    Context, ServiceError,
};
use crate::{
    clock::to_storage_precision,
    db::{
        self,
        actions::{Inserted, NewAction, NewEvent},
        entities::locations,
        safeguards::SafeguardFacts,
        StoreError,
    },
};

/// A proposal's result: the action, and whether this call created it (a replay of an
/// `external_id` returns the first one).
pub struct Proposed {
    pub action: ActionDetail,
    pub created: bool,
}

/// An agent proposes an action.
#[tracing::instrument(skip_all)]
pub async fn propose(ctx: &Context<'_>, request: &ProposeAction) -> Result<Proposed, ServiceError> {
    let (db, location, now) = (ctx.db, ctx.location, ctx.now);
    check_body_bounds(request.body.as_deref()).map_err(ServiceError::Invalid)?;
    let mut errors = FieldErrors::default();
    // Sanitised first, so a body that is only markup counts as blank.
    let request = &ProposeAction {
        body: request.body.as_deref().map(sanitize_html),
        ..request.clone()
    };
    let valid = errors.check(validate_proposal(request));
    let agent = match request.agent_id {
        Some(agent_id) => db::agents::find(db, location.id, agent_id).await?,
        None => None,
    };
    let customer = db::customers::find(db, location.id, request.customer_id).await?;
    match &agent {
        None if request.agent_id.is_none() => errors.add(
            "agent_id",
            "say which agent proposes (or use the agent's own API key)",
        ),
        None => errors.add("agent_id", "no such agent in this location"),
        Some(agent) if !agent.enabled => {
            errors.add("agent_id", "this agent is disabled; enable it to propose")
        }
        Some(_) => {}
    }
    match &customer {
        None => errors.add("customer_id", "no such customer in this location"),
        Some(customer) => errors.extend(
            check_reachable(
                request.channel,
                customer.email.as_deref(),
                customer.phone.as_deref(),
            )
            .err(),
        ),
    }
    let (Some(valid), Some(agent), Some(customer), true) =
        (valid, agent, customer, errors.is_empty())
    else {
        return Err(ServiceError::Invalid(
            errors.finish(()).err().unwrap_or_default(),
        ));
    };

    if let Some(existing) = replayed(db, location, agent.id, valid.external_id.as_deref()).await? {
        return replay(db, location, existing, request, now).await;
    }

    let expires_at = request
        .expires_at
        .map(to_storage_precision)
        .unwrap_or_else(|| now + Duration::seconds(agent.default_expiry_seconds));
    let not_before = request.not_before.map(to_storage_precision);
    let policy = db::agents::auto_execute_policy(&agent)?;
    // An agent acts alone only where a person's approval would go through: a placeholder with
    // no value keeps the action for review.
    // Only the agent's own key speaks for the agent: any other key could name a trusted agent
    // and a confidence of 100.
    let by_agent_key = ctx.agent_key == Some(agent.id);
    let trusted = by_agent_key && policy.applies(valid.action_type, valid.confidence);
    let unknown = if trusted {
        let values = values_for(&valid.variables, &customer, location);
        unknown_variables(
            valid.subject.as_deref(),
            valid.body.as_deref(),
            valid.script.as_deref(),
            &values,
        )
    } else {
        Vec::new()
    };
    // Nor past the location's contact cap: a person decides whether to write again.
    let held_for_review = if !unknown.is_empty() {
        Some(format!("no value for {}", unknown.join(", ")))
    } else if trusted {
        SafeguardFacts::load(db, location, &[customer.id], now)
            .await?
            .contact_cap_warning(valid.action_type, customer.id, &customer.full_name)
            .map(|notice| notice.detail)
    } else {
        None
    };
    let auto_execute = trusted && held_for_review.is_none();
    let lifecycle = initial_lifecycle(now, expires_at, not_before, auto_execute)
        .map_err(|error| ServiceError::Invalid(vec![error]))?;

    let row = NewAction {
        id: Uuid::now_v7(),
        location_id: location.id,
        agent: &agent,
        customer: &customer,
        proposal: &valid,
        lifecycle,
        not_before,
        proposed_at: now,
        by_agent_key,
    }
    .into_row();
    // Some of what a trusted agent sends alone is set aside for a person to check.
    let mut row = row;
    if lifecycle.status == ActionStatus::AutoExecuted
        && db::locations::settings_of(location)?.sampled_for_audit(row.id)
    {
        row.audit_state = Some(AuditState::Pending);
    }
    let event = NewEvent {
        action: &row,
        kind: EventKind::Proposed,
        from: None,
        to: Some(lifecycle.status),
        version: 1,
        actor: &ctx.actor.0,
        at: now,
        data: match &held_for_review {
            None => json!({ "auto_executed": lifecycle.status == ActionStatus::AutoExecuted }),
            Some(reason) => json!({ "auto_executed": false, "held_for_review": reason }),
        },
    }
    .into_row();
    // A trusted agent's action goes out at once (nobody is there to take it back); a call when
    // the location opens.
    let delivery = if lifecycle.status == ActionStatus::AutoExecuted {
        let message = message(&row, &customer, location, &PreviewDraft::default())?;
        let deliver_at = match row.channel {
            Some(Channel::Voice) => next_opening(location, now)?.unwrap_or(now),
            _ => now,
        };
        Some(db::deliveries::new_row(&row, message, deliver_at, now))
    } else {
        None
    };
    let id = row.id;
    match db::actions::insert(db, ctx.bus, row, event, delivery, ctx.claim).await? {
        Inserted::Created => Ok(Proposed {
            action: db::actions::detail::get(db, location, id, now).await?,
            created: true,
        }),
        // Another request with the same external id won the race: that one is the action.
        Inserted::DuplicateExternalId => {
            let existing = replayed(db, location, agent.id, valid.external_id.as_deref())
                .await?
                .ok_or_else(|| {
                    StoreError::Corrupt("a duplicate proposal left no action behind".to_owned())
                })?;
            replay(db, location, existing, request, now).await
        }
    }
}

/// The first action proposed under this `external_id`, for a retry of the same proposal. An
/// `external_id` that names another proposal (another customer or kind of action) is a 409,
/// never a way to read that action.
async fn replay(
    db: &DatabaseConnection,
    location: &locations::Model,
    existing: Uuid,
    request: &ProposeAction,
    now: DateTime<Utc>,
) -> Result<Proposed, ServiceError> {
    let action = db::actions::detail::get(db, location, existing, now).await?;
    if action.customer.id != request.customer_id || action.action_type != request.action_type {
        return Err(ServiceError::WrongState(format!(
            "The external_id `{}` was used for another proposal; give this one its own.",
            action.external_id.unwrap_or_default()
        )));
    }
    Ok(Proposed {
        action,
        created: false,
    })
}

/// The action this agent already proposed under `external_id`.
async fn replayed(
    db: &DatabaseConnection,
    location: &locations::Model,
    agent_id: Uuid,
    external_id: Option<&str>,
) -> Result<Option<Uuid>, ServiceError> {
    let Some(external_id) = external_id else {
        return Ok(None);
    };
    Ok(db::actions::find_by_external_id(db, location.id, agent_id, external_id).await?)
}
