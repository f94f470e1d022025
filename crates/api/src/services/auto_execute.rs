//! A trusted agent's proposal that was held until its `not_before` is sent without review as it
//! is released: through the same gates as a person's approval (every placeholder filled, the
//! customer reachable, a call only once the location is open, the customer not contacted as
//! often as the location's cap allows), or else it waits for review, and its history says why.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::AuditState, dto::PreviewDraft, review::unknown_variables, Channel, Confidence,
    LifecycleEvent,
};
use sea_orm::ActiveValue::Set;
use serde_json::json;
use uuid::Uuid;

use super::{
    change::{after_due_transitions, transition_change},
    render::{fill_values, message},
    review::{deliverable, next_opening},
    Actor, ServiceError,
};
use crate::db::{
    self,
    actions::{lifecycle_of, PreparedChange},
    entities::{actions, agents},
    safeguards::SafeguardFacts,
    StoreError,
};

/// What one sweep pass has found so far. A pass releases up to 500 held proposals, mostly of a
/// few agents: each agent is read once, not once a row (after an outage, with the server under
/// load, a lookup a row queued behind the readers and the backlog took minutes to clear).
#[derive(Debug, Default)]
pub struct ReleasePass {
    agents: HashMap<Uuid, Option<agents::Model>>,
    /// By customer, the messages auto-executed earlier in the pass (not yet written): the
    /// contact cap counts them too.
    sent: HashMap<Uuid, u64>,
}

impl ReleasePass {
    async fn agent(
        &mut self,
        db: &sea_orm::DatabaseConnection,
        row: &actions::Model,
    ) -> Result<Option<agents::Model>, ServiceError> {
        if let Some(agent) = self.agents.get(&row.agent_id) {
            return Ok(agent.clone());
        }
        let agent = db::agents::find(db, row.location_id, row.agent_id).await?;
        self.agents.insert(row.agent_id, agent.clone());
        Ok(agent)
    }
}

/// The change that releases `row` at `now` when its agent may send it alone: auto-executed, or
/// released to review with the reason it was not. `None` when that is not the row's case (it is
/// not a held proposal due now, its agent did not propose it with its own key, or the agent is
/// not trusted for it): the plain release applies.
///
/// `pass` carries what earlier rows of the same sweep pass found.
pub async fn on_release(
    db: &sea_orm::DatabaseConnection,
    row: &actions::Model,
    now: DateTime<Utc>,
    pass: &mut ReleasePass,
) -> Result<Option<PreparedChange>, ServiceError> {
    let lifecycle = lifecycle_of(row);
    if !row.proposed_by_agent_key
        || row.approved_awaiting_send
        || lifecycle.due_event(now) != Some(LifecycleEvent::DeferralElapsed)
    {
        return Ok(None);
    }
    let Some(agent) = pass.agent(db, row).await? else {
        return Ok(None);
    };
    let confidence = Confidence::try_from(i64::from(row.confidence))
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    if !agent.enabled
        || !db::agents::auto_execute_policy(&agent)?.applies(row.action_type, confidence)
    {
        return Ok(None);
    }
    let location = db::locations::find(db, row.location_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("action {} has no location", row.id)))?;
    let customer = db::actions::customer_of(db, row).await?;
    let values = fill_values(row, &customer, &location)?;
    let unknown = unknown_variables(
        row.subject.as_deref(),
        row.body.as_deref(),
        row.script.as_deref(),
        &values,
    );
    let mut facts = SafeguardFacts::load(db, &location, &[customer.id], now).await?;
    for _ in 0..pass.sent.get(&customer.id).copied().unwrap_or_default() {
        facts.count_one_more(customer.id);
    }
    let capped = facts.contact_cap_warning(row.action_type, customer.id, &customer.full_name);
    let held = if !unknown.is_empty() {
        Some(format!("no value for {}", unknown.join(", ")))
    } else if let Some(capped) = capped {
        Some(capped.detail)
    } else {
        deliverable(row, &customer, &location)
            .err()
            .map(|error| match error {
                ServiceError::Invalid(errors) => errors
                    .iter()
                    .map(|error| format!("{}: {}", error.field, error.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            })
    };
    let released = lifecycle.settled_at(now);
    let transition = match (held, released.apply(LifecycleEvent::AutoExecute, now)) {
        (None, Ok(transition)) => transition,
        (reason, _) => {
            // Released to review like any held proposal, saying why its agent did not send it.
            let Some(step) = lifecycle.due_transitions(now).into_iter().next() else {
                return Ok(None);
            };
            let mut change = transition_change(row, &step, None, None, &Actor::system(), now);
            let reason = reason.unwrap_or_else(|| "it can no longer be sent".to_owned());
            for event in &mut change.events {
                event.data = json!({ "held_for_review": reason });
            }
            return Ok(Some(change));
        }
    };
    if row.action_type.channel().is_some() {
        *pass.sent.entry(customer.id).or_default() += 1;
    }
    let actor = Actor(format!("agent:{}", agent.id));
    let mut change = transition_change(row, &transition, None, None, &actor, now);
    let message = message(row, &customer, &location, &PreviewDraft::default())?;
    // Nobody is there to take it back: it leaves now, a call when the location opens.
    let deliver_at = match row.channel {
        Some(Channel::Voice) => next_opening(&location, now)?.unwrap_or(now),
        _ => now,
    };
    change.delivery = Some(db::deliveries::new_row(row, message, deliver_at, now));
    // Some of what a trusted agent sends alone is set aside for a person to check.
    if db::locations::settings_of(&location)?.sampled_for_audit(row.id) {
        change.update.audit_state = Set(Some(AuditState::Pending));
    }
    Ok(Some(after_due_transitions(change, row, &lifecycle, now)))
}
