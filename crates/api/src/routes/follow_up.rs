//! What followed a sent action: outcomes and linked replies.

use actix_web::{http::StatusCode, post, HttpResponse};
use inbox_domain::dto::{CustomerResponse, LinkResponse, Outcome, ReportOutcome};

use super::{ActionChange, Reply};
use crate::{auth::Propose, error::ApiError, json::Json, services::follow_up};

/// Report what followed a sent action (payment made, conversation started, ...); it shows in the
/// action's history.
#[utoipa::path(
    tag = "actions",
    request_body = ReportOutcome,
    params(
        ("id" = Uuid, Path, description = "The action's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 201, description = "Recorded.", body = Outcome),
        (status = 400, description = "Malformed id or body."),
        (status = 404, description = "No such action in this location (or, for an agent's key, of its agent)."),
        (status = 409, description = "The action was never sent."),
        (status = 422, description = "`data` is not an object."),
    )
)]
#[post("/actions/{id}/outcome")]
pub async fn report_outcome(
    change: ActionChange<Propose>,
    body: Json<ReportOutcome>,
) -> Result<HttpResponse, ApiError> {
    let (id, report, agent) = (change.id, &body.value, change.caller.agent_id());
    change
        .once(&body.raw, |claim| {
            let ctx = change.context().with_claim(claim);
            async move {
                let outcome = follow_up::report_outcome(&ctx, agent, id, report).await?;
                Reply::new(StatusCode::CREATED, &outcome)
            }
        })
        .await
}

/// Link a customer's response (from AI Conversations) to the action it answers.
#[utoipa::path(
    tag = "actions",
    request_body = LinkResponse,
    params(
        ("id" = Uuid, Path, description = "The action's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 201, description = "Linked.", body = CustomerResponse),
        (status = 400, description = "Malformed id or body."),
        (status = 404, description = "No such action in this location (or, for an agent's key, of its agent)."),
        (status = 409, description = "The action was never sent."),
        (status = 422, description = "A blank conversation id or an overlong excerpt."),
    )
)]
#[post("/actions/{id}/responses")]
pub async fn link_response(
    change: ActionChange<Propose>,
    body: Json<LinkResponse>,
) -> Result<HttpResponse, ApiError> {
    let (id, report, agent) = (change.id, &body.value, change.caller.agent_id());
    change
        .once(&body.raw, |claim| {
            let ctx = change.context().with_claim(claim);
            async move {
                let response = follow_up::link_response(&ctx, agent, id, report).await?;
                Reply::new(StatusCode::CREATED, &response)
            }
        })
        .await
}
