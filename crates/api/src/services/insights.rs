//! Insights: how each agent performs over a period, from the daily tallies.

use std::collections::BTreeMap;

use inbox_domain::{
    autonomy::{advise, AutonomyAdvice, Evidence, EVIDENCE_DAYS},
    dto::AgentSummary,
    insights::{assemble, Insights, PERIODS},
    ActionType,
};
use uuid::Uuid;

use super::{Context, ServiceError};
use crate::db;

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
    let zone: chrono_tz::Tz = ctx.location.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let today = ctx.now.with_timezone(&zone).date_naive();
    let first = today - chrono::Duration::days(i64::from(query.period_days) - 1);
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
    let zone: chrono_tz::Tz = ctx.location.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let today = ctx.now.with_timezone(&zone).date_naive();
    let first = today - chrono::Duration::days(i64::from(EVIDENCE_DAYS) - 1);
    let tallies = db::insights::by_agent_and_type(ctx.db, ctx.location.id, (first, today)).await?;
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
