use std::{fmt::Display, str::FromStr};

use actix_web::{get, http::StatusCode, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Days, NaiveDate, Utc};
use inbox_domain::{
    dto::{
        ActionDetail, ActionListItem, ApproveAction, BulkRequest, BulkResponse, CustomerResponse,
        EditDraft, LinkResponse, Outcome, Page, Preview, PreviewDraft, ProposeAction, RejectAction,
        ReportOutcome, SnoozeAction,
    },
    ActionStatus, ActionType, Channel, Confidence, Priority,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{idempotent, if_match, Reply};
use crate::{
    auth::{Authorized, Caller, Propose, Read, Review},
    error::{ApiError, FieldError, Problem},
    json::{Json, OptionalJson},
    query::Query,
    services::{
        self,
        actions::{Proposed, ReviewRequest},
    },
    startup::AppState,
    store::{
        self,
        actions::{Cursor, ListFilter, ListQuery, Sort, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
    },
};

/// Filters, order and page of the action list. Values arrive as text and are checked one by
/// one, so every invalid parameter is named in the error.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActionListParams {
    /// One or more statuses (segments); repeat the parameter for several. Default `pending`.
    #[param(value_type = Option<Vec<ActionStatus>>, example = json!(["pending"]))]
    #[serde(default)]
    status: Vec<String>,
    /// Only actions of this agent (criteria type).
    #[param(value_type = Option<Uuid>)]
    agent_id: Option<String>,
    /// Customer name or company: a substring, any case, any accents (`zoe` finds "Zoë").
    #[param(example = "acme")]
    q: Option<String>,
    /// Lowest confidence, 0–100.
    #[param(value_type = Option<u8>, minimum = 0, maximum = 100, example = 80)]
    confidence_min: Option<String>,
    /// Highest confidence, 0–100.
    #[param(value_type = Option<u8>, minimum = 0, maximum = 100)]
    confidence_max: Option<String>,
    /// One or more priorities; repeat for several.
    #[param(value_type = Option<Vec<Priority>>, example = json!(["high", "critical"]))]
    #[serde(default)]
    priority: Vec<String>,
    /// One or more channels; repeat for several.
    #[param(value_type = Option<Vec<Channel>>)]
    #[serde(default)]
    channel: Vec<String>,
    /// One or more action types; repeat for several.
    #[param(value_type = Option<Vec<ActionType>>)]
    #[serde(default)]
    action_type: Vec<String>,
    /// Created at or after: an RFC 3339 time, or a date (from its start, UTC).
    #[param(example = "2026-11-20")]
    created_from: Option<String>,
    /// Created before: an RFC 3339 time, or a date (through its end, UTC).
    created_to: Option<String>,
    /// Expires at or after: an RFC 3339 time or a date.
    expires_from: Option<String>,
    /// Expires before: an RFC 3339 time, or a date (through its end).
    expires_to: Option<String>,
    /// A list column, `-` first for descending: `subject`, `customer`, `agent`, `action_type`,
    /// `channel`, `confidence`, `priority`, `status`, `created_at`, `expires_at`. Default
    /// `-created_at`.
    #[param(example = "-created_at")]
    sort: Option<String>,
    /// Items per page, 1 to 200; default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, example = 50)]
    limit: Option<String>,
    /// `next_cursor` of the previous page, made with the same `sort`.
    cursor: Option<String>,
}

/// Collects every invalid parameter while converting them.
#[derive(Default)]
struct Checked(Vec<FieldError>);

impl Checked {
    fn one<T: FromStr>(&mut self, field: &str, value: Option<&str>) -> Option<T>
    where
        T::Err: Display,
    {
        match value.map(str::parse::<T>).transpose() {
            Ok(parsed) => parsed,
            Err(error) => {
                self.0.push(FieldError::new(field, error));
                None
            }
        }
    }

    fn many<T: FromStr + PartialEq>(&mut self, field: &str, values: &[String]) -> Vec<T>
    where
        T::Err: Display,
    {
        let mut parsed = Vec::new();
        for value in values {
            if let Some(value) = self.one::<T>(field, Some(value)) {
                if !parsed.contains(&value) {
                    parsed.push(value);
                }
            }
        }
        parsed
    }

    fn confidence(&mut self, field: &str, value: Option<&str>) -> Option<u8> {
        let parsed = self.one::<i64>(field, value)?;
        match Confidence::try_from(parsed) {
            Ok(confidence) => Some(confidence.percent()),
            Err(error) => {
                self.0.push(FieldError::new(field, error));
                None
            }
        }
    }

    /// A time bound: an RFC 3339 time, or a whole UTC date (an upper bound takes the day in).
    fn bound(&mut self, field: &str, value: Option<&str>, upper: bool) -> Option<DateTime<Utc>> {
        let value = value?;
        if let Ok(at) = DateTime::parse_from_rfc3339(value) {
            return Some(crate::clock::to_storage_precision(at.to_utc()));
        }
        let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .and_then(|day| {
                if upper {
                    day.checked_add_days(Days::new(1))
                } else {
                    Some(day)
                }
            });
        match day {
            Some(day) => Some(day.and_time(chrono::NaiveTime::MIN).and_utc()),
            None => {
                self.0.push(FieldError::new(
                    field,
                    "expected an RFC 3339 time or a YYYY-MM-DD date",
                ));
                None
            }
        }
    }

    fn order<T: PartialOrd>(&mut self, field: &str, from: Option<T>, to: Option<T>, message: &str) {
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                self.0.push(FieldError::new(field, message));
            }
        }
    }
}

impl TryFrom<ActionListParams> for ListQuery {
    type Error = ApiError;

    fn try_from(params: ActionListParams) -> Result<Self, ApiError> {
        let mut check = Checked::default();
        let mut statuses = check.many::<ActionStatus>("status", &params.status);
        if statuses.is_empty() && params.status.is_empty() {
            statuses.push(ActionStatus::Pending);
        }
        let customer_search = params
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        let filter = ListFilter {
            statuses,
            agent_id: check.one("agent_id", params.agent_id.as_deref()),
            customer_search,
            confidence_min: check.confidence("confidence_min", params.confidence_min.as_deref()),
            confidence_max: check.confidence("confidence_max", params.confidence_max.as_deref()),
            priorities: check.many("priority", &params.priority),
            channels: check.many("channel", &params.channel),
            action_types: check.many("action_type", &params.action_type),
            created_from: check.bound("created_from", params.created_from.as_deref(), false),
            created_to: check.bound("created_to", params.created_to.as_deref(), true),
            expires_from: check.bound("expires_from", params.expires_from.as_deref(), false),
            expires_to: check.bound("expires_to", params.expires_to.as_deref(), true),
        };
        check.order(
            "confidence_max",
            filter.confidence_min,
            filter.confidence_max,
            "must not be below confidence_min",
        );
        check.order(
            "created_to",
            filter.created_from,
            filter.created_to,
            "must be after created_from",
        );
        check.order(
            "expires_to",
            filter.expires_from,
            filter.expires_to,
            "must be after expires_from",
        );
        let sort = check
            .one::<Sort>("sort", params.sort.as_deref())
            .unwrap_or_default();
        let limit = match params.limit.as_deref().map(str::parse::<u64>).transpose() {
            Ok(Some(limit)) if (1..=MAX_PAGE_SIZE).contains(&limit) => limit,
            Ok(None) => DEFAULT_PAGE_SIZE,
            _ => {
                check.0.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                ));
                DEFAULT_PAGE_SIZE
            }
        };
        let after = match params
            .cursor
            .as_deref()
            .map(|token| Cursor::decode(token, sort))
            .transpose()
        {
            Ok(after) => after,
            Err(error) => {
                check.0.push(FieldError::new("cursor", error));
                None
            }
        };
        if !check.0.is_empty() {
            return Err(ApiError::invalid(
                "One or more query parameters are invalid.",
                check.0,
            ));
        }
        Ok(ListQuery {
            filter,
            sort,
            limit,
            after,
        })
    }
}

/// List actions: filtered, sorted (newest first by default), one page at a time.
#[utoipa::path(
    tag = "actions",
    params(ActionListParams),
    responses(
        (status = 200, description = "One page of matching actions.", body = Page<ActionListItem>),
        (status = 400, description = "An invalid filter, sort, limit or cursor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The location does not exist.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/actions")]
pub async fn list_actions(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    Query(params): Query<ActionListParams>,
) -> Result<web::Json<Page<ActionListItem>>, ApiError> {
    let query = ListQuery::try_from(params)?;
    let page =
        store::actions::list(&state.db, caller.location(), &query, state.clock.now()).await?;
    Ok(web::Json(page))
}

/// Propose an action. It starts `pending`; `deferred` with a future `not_before`;
/// `auto_executed` when the agent may send this type at this confidence alone. A replay of an
/// `external_id` (or of an `Idempotency-Key`) returns the first action with 200.
#[utoipa::path(
    tag = "actions",
    request_body = ProposeAction,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a replay returns the first response.")),
    responses(
        (status = 201, description = "Proposed.", body = ActionDetail),
        (status = 200, description = "This agent already proposed this `external_id`: the existing action.", body = ActionDetail),
        (status = 400, description = "The body is not JSON or a field has the wrong type.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is still in progress.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (confidence, channel, unknown customer or agent, expiry...), or the Idempotency-Key was used for another request.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/actions")]
pub async fn propose_action(
    state: web::Data<AppState>,
    caller: Authorized<Propose>,
    request: HttpRequest,
    body: Json<ProposeAction>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    state.propose_limiter.check(&caller.actor().0, now)?;
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
    idempotent(
        &state,
        caller.location().id,
        &request,
        &body.raw,
        || async {
            let Proposed { action, created } = services::actions::propose(
                &state.db,
                &state.bus,
                caller.location(),
                &caller.actor(),
                &proposal,
                now,
            )
            .await?;
            Reply::new(
                if created {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                },
                &action,
            )
        },
    )
    .await
}

/// One action in full: draft, customer, agent, trigger, confidence factors, history, outcomes,
/// linked responses and the customer's context.
#[utoipa::path(
    tag = "actions",
    params(("id" = Uuid, Path, description = "The action's id.", example = "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57")),
    responses(
        (status = 200, description = "The action.", body = ActionDetail),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/actions/{id}")]
pub async fn get_action(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ActionDetail>, ApiError> {
    let detail = store::actions::get(
        &state.db,
        caller.location(),
        id.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(detail))
}

/// Save draft edits (subject, body, script) without deciding. Needs `expected_version`.
#[utoipa::path(
    tag = "actions",
    request_body = EditDraft,
    params(("id" = Uuid, Path, description = "The action's id.")),
    responses(
        (status = 200, description = "The edited action; `version` went up by one.", body = ActionDetail),
        (status = 400, description = "Malformed id or body.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A stale `expected_version`, or the action was already decided.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An edit that does not fit the action type, or nothing to change.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/actions/{id}")]
pub async fn edit_action(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    id: web::Path<Uuid>,
    body: Json<EditDraft>,
) -> Result<web::Json<ActionDetail>, ApiError> {
    let detail = services::actions::edit_draft(
        &state.db,
        &state.bus,
        caller.location(),
        &caller.actor(),
        id.into_inner(),
        &body.value,
        state.clock.now(),
    )
    .await?;
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
        (status = 400, description = "Malformed id or body.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
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
        services::actions::preview(&state.db, caller.location(), id.into_inner(), &body.0.value)
            .await?;
    Ok(web::Json(preview))
}

async fn review(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    id: Uuid,
    raw: &[u8],
    review: ReviewRequest,
) -> Result<HttpResponse, ApiError> {
    let review = review.with_version(if_match(&request)?);
    idempotent(&state, caller.location().id, &request, raw, || async {
        let detail = services::actions::review(
            &state.db,
            &state.bus,
            caller.location(),
            &caller.actor(),
            id,
            review,
            state.clock.now(),
        )
        .await?;
        Reply::new(StatusCode::OK, &detail)
    })
    .await
}

/// Approve & Send. With `subject`, `body` or `script` it is Edit & Approve. Refused (422) while
/// the draft has a placeholder nothing fills.
#[utoipa::path(
    tag = "actions",
    request_body(content = Option<ApproveAction>, description = "Optional: the version seen and any last edits."),
    params(
        ("id" = Uuid, Path, description = "The action's id."),
        ("If-Match" = Option<String>, Header, description = "The version seen, instead of `expected_version`.", example = "\"1\""),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 200, description = "Approved.", body = ActionDetail),
        (status = 400, description = "Malformed id, header or body.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A stale version, or the action's status no longer allows approving; `current_status` says where it is.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown variables in the draft, or edits that do not fit the action type.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/actions/{id}/approve")]
pub async fn approve_action(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: OptionalJson<ApproveAction>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.0.raw.clone();
    review(
        state,
        caller.0,
        request,
        id.into_inner(),
        &raw,
        ReviewRequest::Approve(body.0.value),
    )
    .await
}

/// Reject with a reason (`other` needs a `note`).
#[utoipa::path(
    tag = "actions",
    request_body = RejectAction,
    params(
        ("id" = Uuid, Path, description = "The action's id."),
        ("If-Match" = Option<String>, Header, description = "The version seen, instead of `expected_version`."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 200, description = "Rejected.", body = ActionDetail),
        (status = 400, description = "Malformed id, header or body (e.g. an unknown reason).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A stale version, or the status no longer allows rejecting.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`other` without a note.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/actions/{id}/reject")]
pub async fn reject_action(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<RejectAction>,
) -> Result<HttpResponse, ApiError> {
    review(
        state,
        caller.0,
        request,
        id.into_inner(),
        &body.raw,
        ReviewRequest::Reject(body.value),
    )
    .await
}

/// Snooze for `1h`, `4h`, `1d`, `3d`, or `until` a custom time; it returns to pending then.
#[utoipa::path(
    tag = "actions",
    request_body = SnoozeAction,
    params(
        ("id" = Uuid, Path, description = "The action's id."),
        ("If-Match" = Option<String>, Header, description = "The version seen, instead of `expected_version`."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 200, description = "Snoozed.", body = ActionDetail),
        (status = 400, description = "Malformed id, header or body (e.g. an unknown duration).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A stale version, or the status no longer allows snoozing.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `duration` and `until`, or `until` not in the future.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/actions/{id}/snooze")]
pub async fn snooze_action(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<SnoozeAction>,
) -> Result<HttpResponse, ApiError> {
    review(
        state,
        caller.0,
        request,
        id.into_inner(),
        &body.raw,
        ReviewRequest::Snooze(body.value),
    )
    .await
}

/// Approve, reject or snooze up to 500 actions in one request. Each id is decided on its own:
/// one failure does not undo the others.
#[utoipa::path(
    tag = "actions",
    request_body = BulkRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe.")),
    responses(
        (status = 200, description = "One result per id, in the request's order.", body = BulkResponse),
        (status = 400, description = "Malformed body.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No ids or more than 500, or the verb's fields are missing or invalid.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/actions/bulk")]
pub async fn bulk_review(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    request: HttpRequest,
    body: Json<BulkRequest>,
) -> Result<HttpResponse, ApiError> {
    idempotent(
        &state,
        caller.location().id,
        &request,
        &body.raw,
        || async {
            let response = services::actions::bulk(
                &state.db,
                &state.bus,
                caller.location(),
                &caller.actor(),
                &body.value,
                state.clock.now(),
            )
            .await?;
            Reply::new(StatusCode::OK, &response)
        },
    )
    .await
}

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
        (status = 400, description = "Malformed id or body.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The action was never sent.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`data` is not an object.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/actions/{id}/outcome")]
pub async fn report_outcome(
    state: web::Data<AppState>,
    caller: Authorized<Propose>,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<ReportOutcome>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    idempotent(
        &state,
        caller.location().id,
        &request,
        &body.raw,
        || async {
            let outcome = services::actions::report_outcome(
                &state.db,
                caller.location(),
                &caller.actor(),
                id,
                &body.value,
                state.clock.now(),
            )
            .await?;
            Reply::new(StatusCode::CREATED, &outcome)
        },
    )
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
        (status = 400, description = "Malformed id or body.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The action was never sent.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank conversation id or an overlong excerpt.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/actions/{id}/responses")]
pub async fn link_response(
    state: web::Data<AppState>,
    caller: Authorized<Propose>,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: Json<LinkResponse>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    idempotent(
        &state,
        caller.location().id,
        &request,
        &body.raw,
        || async {
            let response = services::actions::link_response(
                &state.db,
                caller.location(),
                &caller.actor(),
                id,
                &body.value,
                state.clock.now(),
            )
            .await?;
            Reply::new(StatusCode::CREATED, &response)
        },
    )
    .await
}
