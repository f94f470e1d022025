//! Review verbs: approve (or edit & approve), reject and snooze, one at a time or in bulk.

use actix_web::{http::StatusCode, post, web, HttpRequest, HttpResponse};
use inbox_domain::dto::{
    ActionDetail, ApproveAction, BulkError, BulkRequest, BulkResponse, BulkResult, RejectAction,
    SnoozeAction,
};

use super::{idempotent, if_match, ActionChange, Reply};
use crate::{
    auth::{Authorized, Review},
    error::ApiError,
    json::{Json, OptionalJson},
    services::{
        bulk::{self, BulkOutcome},
        review::{self, ReviewRequest},
        undo,
    },
    state::AppState,
};

impl ActionChange<Review> {
    /// One reviewer decision, with the version from `If-Match` when the body gave none.
    async fn decide(self, raw: &[u8], review: ReviewRequest) -> Result<HttpResponse, ApiError> {
        let review = review.with_version(if_match(&self.request)?);
        let id = self.id;
        self.once(raw, |claim| {
            let ctx = self.context().with_claim(claim);
            async move {
                let detail = review::review(&ctx, id, review).await?;
                Reply::new(StatusCode::OK, &detail)
            }
        })
        .await
    }
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
        (status = 400, description = "Malformed id, header or body."),
        (status = 404, description = "No such action in this location."),
        (status = 409, description = "A stale version, or the action's status no longer allows approving; `current_status` says where it is. Or a confirmation is needed (`urn:ai-inbox:problem:confirmation-needed`): another reviewer is reviewing it, or the customer was contacted as often as the location's cap allows; `warnings` says which; send again with them in `acknowledged` to go ahead."),
        (status = 422, description = "Unknown variables in the draft, or edits that do not fit the action type."),
    )
)]
#[post("/actions/{id}/approve")]
pub async fn approve_action(
    change: ActionChange<Review>,
    body: OptionalJson<ApproveAction>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.0.raw.clone();
    change
        .decide(&raw, ReviewRequest::Approve(body.0.value))
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
        (status = 400, description = "Malformed id, header or body (e.g. an unknown reason)."),
        (status = 404, description = "No such action in this location."),
        (status = 409, description = "A stale version, or the status no longer allows rejecting; or another reviewer is reviewing it (`confirmation-needed`: send again with `acknowledged: [\"held_by_another\"]`)."),
        (status = 422, description = "`other` without a note."),
    )
)]
#[post("/actions/{id}/reject")]
pub async fn reject_action(
    change: ActionChange<Review>,
    body: Json<RejectAction>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.raw.clone();
    change.decide(&raw, ReviewRequest::Reject(body.value)).await
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
        (status = 400, description = "Malformed id, header or body (e.g. an unknown duration)."),
        (status = 404, description = "No such action in this location."),
        (status = 409, description = "A stale version, or the status no longer allows snoozing; or another reviewer is reviewing it (`confirmation-needed`: send again with `acknowledged: [\"held_by_another\"]`)."),
        (status = 422, description = "Neither or both of `duration` and `until`, or `until` not in the future."),
    )
)]
#[post("/actions/{id}/snooze")]
pub async fn snooze_action(
    change: ActionChange<Review>,
    body: Json<SnoozeAction>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.raw.clone();
    change.decide(&raw, ReviewRequest::Snooze(body.value)).await
}

/// Undo send: take an approval back while its message still waits to leave (the undo window,
/// `INBOX_UNDO_SECONDS`). The action returns to `pending` and nothing is sent.
#[utoipa::path(
    tag = "actions",
    params(
        ("id" = Uuid, Path, description = "The action's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 200, description = "Taken back: pending again.", body = ActionDetail),
        (status = 400, description = "The id is not a UUID."),
        (status = 404, description = "No such action in this location."),
        (status = 409, description = "Not an approval, or its message can no longer be taken back: the undo window has passed, or a send was attempted already (it is retrying or failed); `detail` says which."),
        (status = 422, description = "The Idempotency-Key was used for another request."),
    )
)]
#[post("/actions/{id}/undo")]
pub async fn undo_action(change: ActionChange<Review>) -> Result<HttpResponse, ApiError> {
    let id = change.id;
    change
        .once(b"", |claim| {
            let ctx = change.context().with_claim(claim);
            async move {
                let detail = undo::undo(&ctx, id).await?;
                Reply::new(StatusCode::OK, &detail)
            }
        })
        .await
}

/// Approve, reject, snooze or undo (take back approvals whose messages have not left) up to 500
/// actions in one request. Each id is decided on its own:
/// one failure does not undo the others. An action another reviewer is reviewing is skipped
/// (its result says who); an approval past the contact cap needs `acknowledged: ["contact_cap"]`.
/// With `dry_run` nothing is decided: each result says what would happen, and `warnings` what
/// makes an id less than clean (such as a confidence under the location's floor).
#[utoipa::path(
    tag = "actions",
    request_body = BulkRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe.")),
    responses(
        (status = 200, description = "One result per id, in the request's order.", body = BulkResponse),
        (status = 400, description = "Malformed body."),
        (status = 422, description = "No ids or more than 500, or the verb's fields are missing or invalid."),
    )
)]
#[post("/actions/bulk")]
pub async fn bulk_review(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    request: HttpRequest,
    body: Json<BulkRequest>,
) -> Result<HttpResponse, ApiError> {
    let bulk_request = &body.value;
    idempotent(&state, &caller, &request, &body.raw, |claim| {
        let ctx = caller.context(&state).with_claim(claim);
        async move {
            let outcomes = bulk::bulk(&ctx, bulk_request).await?;
            let results = outcomes.into_iter().map(bulk_result).collect();
            Reply::new(StatusCode::OK, &BulkResponse { results })
        }
    })
    .await
}

/// One id's outcome as the response shows it: its error is the problem the single verb would
/// have answered.
fn bulk_result(outcome: BulkOutcome) -> BulkResult {
    match outcome.result {
        Ok(status) => BulkResult {
            id: outcome.id,
            ok: true,
            status: Some(status),
            error: None,
            warnings: outcome.warnings,
        },
        Err(error) => {
            let problem = ApiError::from(error).problem();
            BulkResult {
                id: outcome.id,
                ok: false,
                status: outcome.current,
                error: Some(BulkError {
                    status: problem.status,
                    detail: problem.detail,
                }),
                warnings: outcome.warnings,
            }
        }
    }
}
