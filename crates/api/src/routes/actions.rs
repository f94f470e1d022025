//! Actions: the list, proposing, one action in full, draft edits and preview.

use actix_web::{get, http::StatusCode, patch, post, web, HttpRequest, HttpResponse};
use inbox_domain::auth::Scope;
use inbox_domain::dto::{
    ActionDetail, ActionListItem, EditDraft, Page, Preview, PreviewDraft, ProposeAction,
};
use uuid::Uuid;

use super::{idempotent, list_params::ActionListParams, shared_read, Reply};
use crate::{
    auth::{Authorized, Propose, Read, Review},
    db::{self, actions::list::ListQuery},
    error::ApiError,
    json::{Json, OptionalJson},
    query::Query,
    services::{
        drafts,
        propose::{self, Proposed},
    },
    state::AppState,
};

/// List actions: filtered, sorted (newest first by default), one page at a time.
#[utoipa::path(
    tag = "actions",
    params(ActionListParams),
    responses(
        (status = 200, description = "One page of matching actions.", body = Page<ActionListItem>),
        (status = 400, description = "An invalid filter, sort, limit or cursor."),
        (status = 404, description = "The location does not exist."),
    )
)]
#[get("/actions")]
pub async fn list_actions(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    request: HttpRequest,
    Query(params): Query<ActionListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = &ListQuery::try_from(params)?;
    let (db, location, count_cap) = (&state.db, caller.location(), state.count_cap);
    shared_read(&state, location.id, &request, |now| async move {
        let page = db::actions::list::list(db, location, query, count_cap, now);
        Ok::<_, ApiError>(page.await?)
    })
    .await
}

/// Propose an action. It starts `pending`; `deferred` with a future `not_before`;
/// `auto_executed` when the agent may send this type at this confidence alone. A replay of an
/// `external_id` (or of an `Idempotency-Key`) returns the first action with 200. A key without
/// `actions:read` gets its proposal back without the customer's contact details and history.
#[utoipa::path(
    tag = "actions",
    request_body = ProposeAction,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a replay returns the first response.")),
    responses(
        (status = 201, description = "Proposed.", body = ActionDetail),
        (status = 200, description = "This agent already proposed this `external_id`: the existing action.", body = ActionDetail),
        (status = 400, description = "The body is not JSON or a field has the wrong type."),
        (status = 409, description = "A request with this Idempotency-Key is still in progress, or the `external_id` names another proposal (another customer or type)."),
        (status = 413, description = "The body is too large."),
        (status = 422, description = "A field breaks a rule (confidence, channel, unknown customer or agent, expiry...), or the Idempotency-Key was used for another request."),
    )
)]
#[post("/actions")]
pub async fn propose_action(
    state: web::Data<AppState>,
    caller: Authorized<Propose>,
    request: HttpRequest,
    body: Json<ProposeAction>,
) -> Result<HttpResponse, ApiError> {
    state
        .propose_limiter
        .check(&state.db, &caller.actor().0, state.clock.now())
        .await?;
    let mut proposal = body.value.clone();
    match (caller.agent_id(), proposal.agent_id) {
        (Some(own), Some(given)) if own != given => {
            return Err(ApiError::Forbidden(format!(
                "This key proposes only as agent {own}."
            )));
        }
        (Some(own), _) => proposal.agent_id = Some(own),
        (None, _) => {}
    }
    let proposal = &proposal;
    let may_read = caller.has(Scope::ActionsRead);
    idempotent(&state, &caller, &request, &body.raw, |claim| {
        let ctx = caller.context(&state).with_claim(claim);
        async move {
            let Proposed { action, created } = propose::propose(&ctx, proposal).await?;
            let action = if may_read {
                action
            } else {
                action.as_seen_by_proposer()
            };
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Reply::new(status, &action)
        }
    })
    .await
}

/// One action in full: draft, customer, agent, trigger, confidence factors, history, outcomes,
/// linked responses and the customer's context.
#[utoipa::path(
    tag = "actions",
    params(("id" = Uuid, Path, description = "The action's id.", example = "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57")),
    responses(
        (status = 200, description = "The action.", body = ActionDetail),
        (status = 400, description = "The id is not a UUID."),
        (status = 404, description = "No such action in this location."),
    )
)]
#[get("/actions/{id}")]
pub async fn get_action(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    request: HttpRequest,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (db, location, id) = (&state.db, caller.location(), id.into_inner());
    shared_read(&state, location.id, &request, |now| async move {
        let detail = db::actions::detail::get(db, location, id, now);
        Ok::<_, ApiError>(detail.await?)
    })
    .await
}

/// Save draft edits (subject, body, script) without deciding. Needs `expected_version`.
#[utoipa::path(
    tag = "actions",
    request_body = EditDraft,
    params(("id" = Uuid, Path, description = "The action's id.")),
    responses(
        (status = 200, description = "The edited action; `version` went up by one.", body = ActionDetail),
        (status = 400, description = "Malformed id or body."),
        (status = 404, description = "No such action in this location."),
        (status = 409, description = "A stale `expected_version`, or the action was already decided."),
        (status = 422, description = "An edit that does not fit the action type, or nothing to change."),
    )
)]
#[patch("/actions/{id}")]
pub async fn edit_action(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    id: web::Path<Uuid>,
    body: Json<EditDraft>,
) -> Result<web::Json<ActionDetail>, ApiError> {
    let detail = drafts::edit_draft(&caller.context(&state), id.into_inner(), &body.value).await?;
    Ok(web::Json(detail))
}

/// Render the draft (or the draft in the body) exactly as the customer would get it: variables
/// filled in (HTML-escaped), signature appended, and the placeholders nothing fills.
#[utoipa::path(
    tag = "actions",
    request_body(content = Option<PreviewDraft>, description = "Optional: a draft to preview instead of the stored one."),
    params(("id" = Uuid, Path, description = "The action's id.")),
    responses(
        (status = 200, description = "The rendered draft.", body = Preview),
        (status = 400, description = "Malformed id or body."),
        (status = 404, description = "No such action in this location."),
        (status = 422, description = "The draft is too long, nests its markup too deeply, or would be too large once filled."),
    )
)]
#[post("/actions/{id}/preview")]
pub async fn preview_action(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    id: web::Path<Uuid>,
    body: OptionalJson<PreviewDraft>,
) -> Result<web::Json<Preview>, ApiError> {
    let preview =
        drafts::preview(&state.db, caller.location(), id.into_inner(), body.0.value).await?;
    Ok(web::Json(preview))
}
