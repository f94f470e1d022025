//! HTTP handlers: extract, convert, call one store query or service, return a view.

pub mod actions;
pub mod agents;
pub mod audit;
pub mod auth;
pub mod customers;
pub mod decision_links;
pub mod deliveries;
pub mod events;
pub mod follow_up;
pub mod health;
pub mod insights;
pub mod list_params;
pub mod metrics;
pub mod notifications;
pub mod presence;
pub mod review;
pub mod settings;
pub mod webhooks;

use std::{future::Future, pin::Pin};

use actix_web::{
    dev::Payload,
    http::{header::ContentType, StatusCode},
    web::{self, Bytes},
    FromRequest, HttpRequest, HttpResponse, ResponseError,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use inbox_domain::FieldError;

use crate::{
    auth::{Authorized, Caller, NeedsScope},
    db::idempotency::{self, Claim, ClaimMark, StoredResponse, MAX_KEY_CHARS},
    error::ApiError,
    read_cache::ReadKey,
    state::AppState,
};

/// Registers every `/api/v1` handler.
pub fn configure_api(config: &mut ServiceConfig) {
    config
        .service(actions::list_actions)
        .service(actions::propose_action)
        .service(review::bulk_review)
        .service(actions::get_action)
        .service(actions::edit_action)
        .service(actions::preview_action)
        .service(review::approve_action)
        .service(review::reject_action)
        .service(review::snooze_action)
        .service(review::undo_action)
        .service(presence::take_lease)
        .service(presence::release_lease)
        .service(presence::list_leases)
        .service(audit::audit_queue)
        .service(audit::check_audit)
        .service(follow_up::report_outcome)
        .service(follow_up::link_response)
        .service(agents::list_agents)
        .service(agents::get_agent)
        .service(agents::update_agent)
        .service(customers::get_customer)
        .service(deliveries::list_deliveries)
        .service(deliveries::retry_delivery)
        .service(webhooks::list_webhooks)
        .service(webhooks::create_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::list_webhook_deliveries)
        .service(settings::get_settings)
        .service(settings::replace_settings)
        .service(notifications::get_preferences)
        .service(notifications::replace_preferences)
        .service(notifications::list_notices)
        .service(notifications::revoke_links)
        .service(metrics::get_metrics)
        .service(insights::get_insights)
        .service(insights::get_autonomy)
        .service(insights::export_decisions)
        .service(events::stream_events)
        .service(auth::sign_in)
        .service(auth::sign_out)
        .service(auth::get_me)
        .service(auth::list_api_keys)
        .service(auth::create_api_key)
        .service(auth::revoke_api_key);
}

/// The version in an `If-Match` header (`"3"`, `W/"3"` or `3`), if any.
pub fn if_match(request: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = request.headers().get("If-Match") else {
        return Ok(None);
    };
    // Exactly the document's pattern (`3`, `"3"`, `W/"3"`).
    let version = value.to_str().ok().map(str::trim).and_then(|value| {
        let value = value.strip_prefix("W/").unwrap_or(value);
        let digits = match value.strip_prefix('"') {
            Some(quoted) => quoted.strip_suffix('"')?,
            None => value,
        };
        let plain = (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        plain.then(|| digits.parse::<i32>().ok()).flatten()
    });
    version.map(Some).ok_or_else(|| {
        ApiError::invalid_field("If-Match", "must be the action's version, e.g. \"3\"")
    })
}

/// A change to one action: the caller holding scope `S`, the request (for `Idempotency-Key`
/// and `If-Match`) and the action's id from the path, extracted in that order, so a caller
/// without the scope hears 401 or 403 before anything about the id.
pub struct ActionChange<S> {
    pub state: web::Data<AppState>,
    pub caller: Authorized<S>,
    pub request: HttpRequest,
    pub id: Uuid,
}

impl<S: NeedsScope + 'static> FromRequest for ActionChange<S> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = req.clone();
        let caller = Authorized::<S>::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            let state = web::Data::<AppState>::extract(&request).await?;
            let id = web::Path::<Uuid>::extract(&request).await?.into_inner();
            Ok(ActionChange {
                state,
                caller,
                request,
                id,
            })
        })
    }
}

impl<S> ActionChange<S> {
    /// Runs `handle` once per `Idempotency-Key` (see [`idempotent`]).
    pub async fn once<F, Fut>(&self, body: &[u8], handle: F) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce(Option<ClaimMark>) -> Fut,
        Fut: Future<Output = Result<Reply, ApiError>>,
    {
        idempotent(&self.state, &self.caller, &self.request, body, handle).await
    }

    /// What the use case needs to act for this caller now.
    pub fn context(&self) -> crate::services::Context<'_> {
        self.caller.context(&self.state)
    }
}

/// A handler's successful answer, before it becomes a response.
pub struct Reply {
    pub status: StatusCode,
    pub body: serde_json::Value,
    /// What a replay of the request (same `Idempotency-Key`) answers instead, when `body` must
    /// not be stored: it holds a secret shown once.
    pub replay: Option<ApiError>,
}

impl Reply {
    pub fn new(status: StatusCode, body: &impl Serialize) -> Result<Reply, ApiError> {
        let body = serde_json::to_value(body).map_err(|error| ApiError::Internal(error.into()))?;
        Ok(Reply {
            status,
            body,
            replay: None,
        })
    }

    /// The same answer, never stored: a replay of the request gets `replay` instead.
    pub fn replayed_as(self, replay: impl Into<ApiError>) -> Reply {
        Reply {
            replay: Some(replay.into()),
            ..self
        }
    }
}

/// An error response as stored for replays.
fn stored_problem(error: &ApiError) -> StoredResponse {
    StoredResponse {
        status: error.status_code().as_u16(),
        body: serde_json::to_string(&error.problem()).unwrap_or_default(),
    }
}

/// Answers a read that many reviewers repeat (a list page, an action) through the read cache:
/// `compute` runs, at the request's time, only when no kept answer is still true (see
/// [`crate::read_cache`]).
pub async fn shared_read<T, F, Fut>(
    state: &AppState,
    location_id: Uuid,
    request: &HttpRequest,
    compute: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce(DateTime<Utc>) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let key = ReadKey {
        location_id,
        read: request.uri().to_string(),
    };
    let now = state.clock.now();
    let body = state
        .read_cache
        .get(&state.db, &state.bus, key, now, || async move {
            let answer = compute(now).await?;
            serde_json::to_vec(&answer)
                .map(Bytes::from)
                .map_err(|error| ApiError::Internal(error.into()))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}

/// How often, and how many times, a duplicate request checks whether the first one finished.
const IN_PROGRESS_POLL: std::time::Duration = std::time::Duration::from_millis(25);
const IN_PROGRESS_POLLS: usize = 200;
/// How many of those polls a committed request without a stored response is waited for.
const COMMITTED_POLLS: usize = 20;

/// Runs `handle` once per `Idempotency-Key`: a retry with the same key and request gets the first
/// response again, the same key with another request is a 422. Without the header it just runs.
/// `handle` gets the claim to mark committed in its use case's transaction (see
/// [`crate::services::Context::with_claim`]).
pub async fn idempotent<F, Fut>(
    state: &AppState,
    caller: &Caller,
    request: &HttpRequest,
    body: &[u8],
    handle: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(Option<ClaimMark>) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let Some(key) = request.headers().get("Idempotency-Key") else {
        let reply = handle(None).await?;
        return Ok(HttpResponse::build(reply.status).json(reply.body));
    };
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        // Visible ASCII and inner spaces only (a header may also carry tabs).
        .filter(|key| {
            !key.is_empty()
                && key.len() <= MAX_KEY_CHARS
                && key.bytes().all(|byte| (0x20..=0x7e).contains(&byte))
        })
        .ok_or_else(|| {
            ApiError::invalid_field(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY_CHARS} visible ASCII characters"),
            )
        })?;
    let if_match = request
        .headers()
        .get("If-Match")
        .and_then(|v| v.to_str().ok());
    let hash = idempotency::request_hash(request.method().as_str(), request.path(), if_match, body);
    let now = state.clock.now();
    let key = idempotency::scoped_key(&caller.actor().0, key);
    // A duplicate sent while the first is still running waits for its answer (a client retrying
    // on a timeout, a storm of retries), so every copy answers alike. The first request stores
    // its response a moment after it commits, so a committed one without a response is worth a
    // short wait too; only after that is it taken as lost (the server failed in between).
    let mut claimed = idempotency::claim(&state.db, caller.location().id, &key, &hash, now).await;
    let mut committed_polls = 0;
    for _ in 0..IN_PROGRESS_POLLS {
        match &claimed {
            Ok(Claim::InProgress) => {}
            Ok(Claim::Committed { .. }) if committed_polls < COMMITTED_POLLS => {
                committed_polls += 1;
            }
            _ => break,
        }
        tokio::time::sleep(IN_PROGRESS_POLL).await;
        claimed = idempotency::claim(&state.db, caller.location().id, &key, &hash, now).await;
    }
    match claimed.map_err(|error| ApiError::from(crate::db::StoreError::Db(error)))? {
        Claim::Replay(stored) => Ok(stored_response(&stored)),
        // The first request's change committed but its response was lost: say where its action
        // stands now rather than run it again.
        Claim::Committed {
            action_id: Some(action_id),
        } => {
            let detail = crate::db::actions::detail::get(&state.db, caller.location(), action_id, now)
                .await?;
            Ok(HttpResponse::Ok()
                .insert_header(("Idempotent-Replayed", "true"))
                .json(detail))
        }
        Claim::Committed { action_id: None } => Err(ApiError::Conflict {
            detail: "The request with this Idempotency-Key was applied, but its response was lost; read the resources it changed to see where they stand.".into(),
            current_status: None,
            current_version: None,
        }),
        Claim::Mismatch => Err(ApiError::Unprocessable {
            detail: "This Idempotency-Key was already used for a different request.".into(),
            errors: vec![FieldError::new(
                "Idempotency-Key",
                "use a new key for a new request",
            )],
        }),
        Claim::InProgress => Err(ApiError::Conflict {
            detail: "A request with this Idempotency-Key is still in progress; retry shortly."
                .into(),
            current_status: None,
            current_version: None,
        }),
        Claim::New(claim_id) => {
            let result = handle(Some(ClaimMark { claim_id, at: now })).await;
            let stored = match &result {
                Ok(Reply {
                    replay: Some(replay),
                    ..
                }) => stored_problem(replay),
                Ok(reply) => StoredResponse {
                    status: reply.status.as_u16(),
                    body: reply.body.to_string(),
                },
                Err(error) => stored_problem(error),
            };
            let kept = if stored.status >= 500 {
                idempotency::release(&state.db, claim_id).await
            } else {
                idempotency::complete(&state.db, claim_id, &stored).await
            };
            if let Err(error) = kept {
                tracing::warn!(?error, "could not record the idempotent response");
            }
            let reply = result?;
            Ok(HttpResponse::build(reply.status).json(reply.body))
        }
    }
}

fn stored_response(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    HttpResponse::build(status)
        .content_type(content_type)
        .insert_header(("Idempotent-Replayed", "true"))
        .body(stored.body.clone())
}
