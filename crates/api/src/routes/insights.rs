//! Insights: how each agent performs over a period.

use actix_web::{get, web};
use inbox_domain::{
    autonomy::AutonomyAdvice, insights::Insights, problem::FieldErrors, ActionType,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{
    auth::{Authorized, Read},
    error::ApiError,
    query::Query,
    services::insights::{self, InsightsQuery},
    state::AppState,
};

/// Which period, and whose actions.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InsightsParams {
    /// The days ending today (in the location's time zone): 7, 30 or 90. Default 30.
    #[param(value_type = Option<u32>, example = 30)]
    period: Option<String>,
    /// Only this agent's actions.
    #[param(value_type = Option<Uuid>)]
    agent_id: Option<String>,
    /// Only actions of this type.
    #[param(value_type = Option<ActionType>)]
    action_type: Option<String>,
}

/// How the location's agents performed over 7, 30 or 90 days, day by day in its time zone:
/// proposals and decisions (approved as proposed or edited, rejected, snoozed, expired,
/// auto-executed, undone), approval rate, review times (mean and p90), rejection reasons, how
/// much approvals were edited, outcomes after sending, and each agent's part. Read from daily
/// tallies kept as actions change, never by counting the history.
#[utoipa::path(
    tag = "metrics",
    params(InsightsParams),
    responses(
        (status = 200, description = "The period's insights.", body = Insights),
        (status = 400, description = "A period other than 7, 30 or 90, or a malformed agent id or action type."),
    )
)]
#[get("/insights")]
pub async fn get_insights(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    Query(params): Query<InsightsParams>,
) -> Result<web::Json<Insights>, ApiError> {
    let mut errors = FieldErrors::default();
    let period_days = match params.period.as_deref().map(str::parse::<u32>) {
        None => 30,
        Some(Ok(days)) if inbox_domain::insights::PERIODS.contains(&days) => days,
        Some(_) => {
            errors.add("period", "must be 7, 30 or 90 (days)");
            30
        }
    };
    let agent_id = params.agent_id.as_deref().and_then(|id| {
        id.parse::<Uuid>()
            .map_err(|_| errors.add("agent_id", "must be an agent's id (a UUID)"))
            .ok()
    });
    let action_type = params.action_type.as_deref().and_then(|kind| {
        kind.parse::<ActionType>()
            .map_err(|error| errors.add("action_type", error))
            .ok()
    });
    errors
        .finish(())
        .map_err(|errors| ApiError::invalid("One or more query parameters are invalid.", errors))?;
    let query = InsightsQuery {
        period_days,
        agent_id,
        action_type,
    };
    Ok(web::Json(
        insights::insights(&caller.context(&state), query).await?,
    ))
}

/// Earned autonomy: for every agent and action type people decided in the last 30 days,
/// whether the agent has earned sending it without review and from which confidence — at least
/// 20 reviewed, 95% approved, few rewritten, no unsubscribes, and none rejected from that
/// confidence up — or what is missing.
#[utoipa::path(
    tag = "agents",
    responses((status = 200, description = "The advice, by agent name and action type.", body = Vec<AutonomyAdvice>))
)]
#[get("/insights/autonomy")]
pub async fn get_autonomy(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<Vec<AutonomyAdvice>>, ApiError> {
    Ok(web::Json(
        insights::autonomy(&caller.context(&state)).await?,
    ))
}
