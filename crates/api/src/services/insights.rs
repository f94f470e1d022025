//! Insights: how each agent performs over a period, from the daily tallies.

use std::collections::BTreeMap;

use inbox_domain::{
    autonomy::{advise, lost_autonomy, AutonomyAdvice, Evidence, DEMOTION_DAYS, EVIDENCE_DAYS},
    dto::{AgentSummary, AutonomyPause, OutcomeKind},
    insights::{assemble, Insights, Tally, PERIODS},
    ActionType, EventKind,
};
use serde_json::json;
use uuid::Uuid;

use super::{Context, ServiceError};
use crate::db::{self, actions::NewEvent, entities::actions};

/// The location's today and the first day of the `days` ending on it.
fn last_days(ctx: &Context<'_>, days: u32) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let zone = ctx.location.zone();
    let today = ctx.now.with_timezone(&zone).date_naive();
    (today - chrono::Duration::days(i64::from(days) - 1), today)
}

/// What the Insights of a location are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsightsQuery {
    /// Days, one of [`PERIODS`].
    pub period_days: u32,
    pub agent_id: Option<Uuid>,
    pub action_type: Option<ActionType>,
}

/// The caller's location's insights over the period ending today (in its time zone).
pub async fn insights(ctx: &Context<'_>, query: InsightsQuery) -> Result<Insights, ServiceError> {
    if !PERIODS.contains(&query.period_days) {
        return Err(ServiceError::invalid(
            "period",
            "must be 7, 30 or 90 (days)",
        ));
    }
    let (first, today) = last_days(ctx, query.period_days);
    let rows = db::insights::rows(
        ctx.db,
        ctx.location.id,
        (first, today),
        query.agent_id,
        query.action_type,
    )
    .await?;
    let agents: Vec<AgentSummary> = db::agents::list(ctx.db, ctx.location.id)
        .await?
        .into_iter()
        .map(|agent| AgentSummary {
            id: agent.id,
            name: agent.name,
        })
        .collect();
    Ok(assemble(&rows, &agents, today, query.period_days))
}

/// For every agent and action type people decided in the last 30 days: whether it has earned
/// sending alone, from which confidence, and why (or why not).
pub async fn autonomy(ctx: &Context<'_>) -> Result<Vec<AutonomyAdvice>, ServiceError> {
    let tallies =
        db::insights::by_agent_and_type(ctx.db, ctx.location.id, last_days(ctx, EVIDENCE_DAYS))
            .await?;
    let mut evidence: BTreeMap<(uuid::Uuid, ActionType), Evidence> = BTreeMap::new();
    for (agent_id, action_type, tally, value) in tallies {
        evidence
            .entry((agent_id, action_type))
            .or_default()
            .add(tally, value);
    }
    let agents = db::agents::list(ctx.db, ctx.location.id).await?;
    let mut advice = Vec::new();
    // By agent name, then in the order of the action types.
    for agent in agents {
        for action_type in ActionType::ALL {
            let Some(evidence) = evidence.get(&(agent.id, *action_type)) else {
                continue;
            };
            let summary = AgentSummary {
                id: agent.id,
                name: agent.name.clone(),
            };
            let auto_executing = agent.auto_execute.contains(action_type);
            advice.push(advise(summary, *action_type, evidence, auto_executing));
        }
    }
    Ok(advice)
}

/// After an unsubscribe following `row`, an action its agent sent alone: when what followed
/// such messages of the last 30 days (since the agent's settings last changed) costs the agent
/// sending this type alone (see [`lost_autonomy`]), the type is paused — new proposals wait
/// for review — and the action's history says why.
pub async fn demote_if_lost(ctx: &Context<'_>, row: &actions::Model) -> Result<(), ServiceError> {
    if row.auto_executed_at.is_none() {
        return Ok(());
    }
    let Some(agent) = db::agents::find(ctx.db, ctx.location.id, row.agent_id).await? else {
        return Ok(());
    };
    let policy = db::agents::auto_execute_policy(&agent)?;
    if !policy.action_types.contains(&row.action_type) {
        return Ok(());
    }
    // Since the agent's settings last changed: enabling a type again starts its record afresh.
    let (first, today) = last_days(ctx, DEMOTION_DAYS);
    let zone = ctx.location.zone();
    let first = first.max(agent.updated_at.with_timezone(&zone).date_naive());
    let tallies = db::insights::by_agent_and_type(ctx.db, ctx.location.id, (first, today)).await?;
    let (mut sent_alone, mut unsubscribed) = (0u64, 0u64);
    for (agent_id, action_type, tally, value) in tallies {
        if agent_id != row.agent_id || action_type != row.action_type {
            continue;
        }
        let value = u64::try_from(value).unwrap_or_default();
        match tally {
            Tally::AutoExecuted => sent_alone += value,
            Tally::AfterAuto(OutcomeKind::Unsubscribed) => unsubscribed += value,
            _ => {}
        }
    }
    let Some(why) = lost_autonomy(sent_alone, unsubscribed) else {
        return Ok(());
    };
    let remaining: Vec<ActionType> = policy
        .action_types
        .into_iter()
        .filter(|kind| *kind != row.action_type)
        .collect();
    let mut pauses = db::agents::pauses_of(&agent)?;
    pauses.push(AutonomyPause {
        action_type: row.action_type,
        paused_at: ctx.now,
        why: why.clone(),
    });
    let entry = NewEvent {
        action: row,
        kind: EventKind::AutonomyPaused,
        from: None,
        to: None,
        version: row.version,
        actor: "system",
        at: ctx.now,
        data: json!({ "agent_id": agent.id, "action_type": row.action_type, "why": why }),
    }
    .into_row();
    // Another change of the agent meanwhile (an admin's, another outcome's) wins; this one is
    // judged again with the next unsubscribe.
    if !db::agents::pause_autonomy(ctx.db, &agent, &remaining, &pauses, entry, ctx.now).await? {
        return Ok(());
    }
    tracing::info!(agent_id = %agent.id, action_type = %row.action_type, %why, "auto-execute paused");
    super::notify::autonomy_paused(
        ctx.db,
        ctx.location,
        &agent.name,
        row.action_type,
        &why,
        ctx.now,
    )
    .await?;
    ctx.bus.touch(ctx.location.id);
    Ok(())
}
