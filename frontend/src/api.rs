//! The only module that talks HTTP: typed calls to the AI Inbox API. The session travels in an
//! HttpOnly cookie the browser sends by itself; changes also carry the CSRF token.

use gloo_net::http::{Request, RequestBuilder, Response};
use inbox_domain::{
    auth::{Me, SignIn},
    autonomy::AutonomyAdvice,
    delivery::{Delivery, DeliveryState},
    dto::{
        ActionDetail, ActionListItem, Agent, ApproveAction, AuditCheck, BulkRequest, BulkResponse,
        CustomerDetail, Page, Preview, PreviewDraft, RejectAction, SnoozeAction, UpdateAgent,
    },
    insights::Insights,
    metrics::Metrics,
    notices::{Notice, NotificationPreferences},
    safeguards::{LocationSettings, ReviewLease, WarningNotice},
    ActionStatus, FieldError, Problem,
};
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

/// Why a call failed, in words for the reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status, or 0 when the server was not reached.
    pub status: u16,
    pub message: String,
    /// For a conflict: where the action stands now.
    pub current_status: Option<ActionStatus>,
    /// For a decision that needs confirming: what to confirm (sent again acknowledging them,
    /// it goes ahead).
    pub warnings: Vec<WarningNotice>,
    /// For a refused form: what is wrong with which field.
    pub field_errors: Vec<FieldError>,
}

impl ApiError {
    /// The caller is not signed in (or the session ended).
    pub fn needs_sign_in(&self) -> bool {
        self.status == 401
    }

    /// What is wrong with `field` of a refused form, if anything.
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.field_errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.clone())
    }

    /// Someone else changed the action first.
    pub fn is_conflict(&self) -> bool {
        self.status == 409 && self.warnings.is_empty()
    }

    /// The decision waits for the reviewer to confirm these warnings.
    pub fn needs_confirmation(&self) -> bool {
        self.status == 409 && !self.warnings.is_empty()
    }

    /// What the address names does not exist; known without asking the server.
    pub fn not_found(message: &str) -> ApiError {
        ApiError {
            status: 404,
            message: message.to_owned(),
            current_status: None,
            warnings: Vec::new(),
            field_errors: Vec::new(),
        }
    }

    /// A form refused before it was sent: `field` is wrong, as `message` says.
    pub fn invalid(field: &str, message: &str) -> ApiError {
        ApiError {
            status: 422,
            message: format!("Not saved: {field} {message}."),
            current_status: None,
            warnings: Vec::new(),
            field_errors: vec![FieldError::new(field, message)],
        }
    }

    /// A failed answer with `status`, worded from its problem+json body when it has one.
    fn answered(status: u16, problem: Option<Problem>) -> ApiError {
        match problem {
            Some(problem) => ApiError {
                status,
                message: problem.message(),
                current_status: problem.current_status,
                warnings: problem.warnings.unwrap_or_default(),
                field_errors: problem.errors.unwrap_or_default(),
            },
            None => ApiError {
                status,
                message: format!("The server answered {status}."),
                current_status: None,
                warnings: Vec::new(),
                field_errors: Vec::new(),
            },
        }
    }

    fn unreachable(error: gloo_net::Error) -> ApiError {
        ApiError {
            status: 0,
            message: format!("The server could not be reached ({error})."),
            current_status: None,
            warnings: Vec::new(),
            field_errors: Vec::new(),
        }
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    let response = request
        .map_err(ApiError::unreachable)?
        .send()
        .await
        .map_err(ApiError::unreachable)?;
    if response.ok() {
        return Ok(response);
    }
    let problem = match response.text().await {
        Ok(text) => parse_json::<Problem>(&text).ok(),
        Err(_) => None,
    };
    Err(ApiError::answered(response.status(), problem))
}

/// A successful answer's status and body. Not generic: every call shares this one future (and
/// the app's WASM one copy of its code); only `decode` is made once per answer type.
async fn fetch(request: Result<Request, gloo_net::Error>) -> Result<(u16, String), ApiError> {
    let response = send(request).await?;
    let status = response.status();
    match response.text().await {
        Ok(text) => Ok((status, text)),
        Err(error) => Err(unreadable(status, &error)),
    }
}

fn unreadable(status: u16, error: &dyn std::fmt::Display) -> ApiError {
    ApiError {
        status,
        message: format!("The server's answer could not be read ({error})."),
        current_status: None,
        warnings: Vec::new(),
        field_errors: Vec::new(),
    }
}

/// Reads JSON text as a `T`: the browser's own parser reads the text, and serde-wasm-bindgen
/// makes the `T` of what it read. With serde_json's parser, copied into each type's
/// deserialiser, reading answers was a sixth of the code the app downloads on opening.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "it is not JSON".to_owned())?;
    serde_wasm_bindgen::from_value(value).map_err(|error| error.to_string())
}

/// Kept out of line: inlined into each caller's future, every resource carried its own copy.
#[inline(never)]
fn decode<T: DeserializeOwned>((status, text): (u16, String)) -> Result<T, ApiError> {
    parse_json(&text).map_err(|error| unreadable(status, &error))
}

/// Sends `request` and reads its answer as a `T`.
async fn answer<T: DeserializeOwned>(
    request: Result<Request, gloo_net::Error>,
) -> Result<T, ApiError> {
    decode(fetch(request).await?)
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    answer(RequestBuilder::new(path).build()).await
}

async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
    csrf: &str,
) -> Result<T, ApiError> {
    answer(Request::post(path).header("X-CSRF-Token", csrf).json(body)).await
}

/// Who is signed in; a 401 when nobody is.
pub async fn me() -> Result<Me, ApiError> {
    get_json("/api/v1/auth/me").await
}

/// Signs in; the session cookie is set by the answer.
pub async fn sign_in(credentials: &SignIn) -> Result<Me, ApiError> {
    answer(Request::post("/api/v1/auth/sign-in").json(credentials)).await
}

/// Ends the session.
pub async fn sign_out(csrf: &str) -> Result<(), ApiError> {
    let request = Request::post("/api/v1/auth/sign-out")
        .header("X-CSRF-Token", csrf)
        .build();
    send(request).await.map(|_| ())
}

/// The metrics bar.
pub async fn metrics() -> Result<Metrics, ApiError> {
    get_json("/api/v1/metrics").await
}

/// The agents of the location.
pub async fn agents() -> Result<Vec<Agent>, ApiError> {
    get_json("/api/v1/agents").await
}

/// Changes an agent's settings (admins).
pub async fn update_agent(id: Uuid, changes: &UpdateAgent, csrf: &str) -> Result<Agent, ApiError> {
    let request = Request::patch(&format!("/api/v1/agents/{id}"))
        .header("X-CSRF-Token", csrf)
        .json(changes);
    answer(request).await
}

/// A customer with their history and actions.
pub async fn customer(id: Uuid) -> Result<CustomerDetail, ApiError> {
    get_json(&format!("/api/v1/customers/{id}")).await
}

/// A page of the action list; `query` is the inbox view's list query (filters, sort, cursor).
pub async fn list(query: &str) -> Result<Page<ActionListItem>, ApiError> {
    get_json(&format!("/api/v1/actions?{query}")).await
}

/// One action in full.
pub async fn action(id: Uuid) -> Result<ActionDetail, ApiError> {
    get_json(&format!("/api/v1/actions/{id}")).await
}

/// Approve & Send, or Edit & Approve when the body carries a changed draft.
pub async fn approve(id: Uuid, body: &ApproveAction, csrf: &str) -> Result<ActionDetail, ApiError> {
    post_json(&format!("/api/v1/actions/{id}/approve"), body, csrf).await
}

/// Rejects with a reason and notes.
pub async fn reject(id: Uuid, body: &RejectAction, csrf: &str) -> Result<ActionDetail, ApiError> {
    post_json(&format!("/api/v1/actions/{id}/reject"), body, csrf).await
}

/// Puts an action off for a preset duration or until a chosen time.
pub async fn snooze(id: Uuid, body: &SnoozeAction, csrf: &str) -> Result<ActionDetail, ApiError> {
    post_json(&format!("/api/v1/actions/{id}/snooze"), body, csrf).await
}

/// Exactly what the customer would receive.
pub async fn preview(id: Uuid, draft: &PreviewDraft, csrf: &str) -> Result<Preview, ApiError> {
    post_json(&format!("/api/v1/actions/{id}/preview"), draft, csrf).await
}

/// Undo send: takes an approval back while its message still waits to leave. The action as it
/// is now is not read: the list and the panel load it again when the stream announces it.
pub async fn undo(id: Uuid, csrf: &str) -> Result<(), ApiError> {
    let request = Request::post(&format!("/api/v1/actions/{id}/undo"))
        .header("X-CSRF-Token", csrf)
        .json(&serde_json::json!({}));
    send(request).await.map(|_| ())
}

/// A page of the delivery outbox, newest first; `state` keeps one state only.
pub async fn deliveries(
    state: Option<DeliveryState>,
    cursor: Option<&str>,
    limit: u32,
) -> Result<Page<Delivery>, ApiError> {
    let mut query = format!("limit={limit}");
    if let Some(state) = state {
        query.push_str(&format!("&state={state}"));
    }
    if let Some(cursor) = cursor {
        query.push_str(&format!("&cursor={}", js_sys::encode_uri_component(cursor)));
    }
    get_json(&format!("/api/v1/deliveries?{query}")).await
}

/// Tries a failed delivery again: it is scheduled to leave at once, with a fresh count of
/// attempts.
pub async fn retry_delivery(id: Uuid, csrf: &str) -> Result<Delivery, ApiError> {
    post_json(
        &format!("/api/v1/deliveries/{id}/retry"),
        &serde_json::json!({}),
        csrf,
    )
    .await
}

/// Takes or renews this reviewer's lease of action `id`; the lease that holds (maybe another's).
pub async fn take_lease(id: Uuid, csrf: &str) -> Result<ReviewLease, ApiError> {
    let request = Request::put(&format!("/api/v1/actions/{id}/lease"))
        .header("X-CSRF-Token", csrf)
        .build();
    answer(request).await
}

/// Ends this reviewer's lease of action `id`.
pub async fn release_lease(id: Uuid, csrf: &str) -> Result<(), ApiError> {
    let request = Request::delete(&format!("/api/v1/actions/{id}/lease"))
        .header("X-CSRF-Token", csrf)
        .build();
    send(request).await.map(|_| ())
}

/// Who is reviewing what now.
pub async fn leases() -> Result<Vec<ReviewLease>, ApiError> {
    get_json("/api/v1/leases").await
}

/// How the agents performed over a period; `query` is `period=30`, with `agent_id` and
/// `action_type` when narrowed.
pub async fn insights(query: &str) -> Result<Insights, ApiError> {
    get_json(&format!("/api/v1/insights?{query}")).await
}

/// Which agent has earned sending which type alone, from the last 30 days.
pub async fn autonomy() -> Result<Vec<AutonomyAdvice>, ApiError> {
    get_json("/api/v1/insights/autonomy").await
}

/// What trusted agents sent alone, set aside for a person to check.
pub async fn audit_queue() -> Result<Vec<ActionListItem>, ApiError> {
    get_json("/api/v1/audit").await
}

/// A person's check of an action set aside for audit.
pub async fn check_audit(
    id: Uuid,
    check: &AuditCheck,
    csrf: &str,
) -> Result<ActionDetail, ApiError> {
    post_json(&format!("/api/v1/actions/{id}/audit"), check, csrf).await
}

/// The location's review safeguards.
pub async fn settings() -> Result<LocationSettings, ApiError> {
    get_json("/api/v1/settings").await
}

/// Replaces the location's review safeguards (admins).
pub async fn replace_settings(
    settings: &LocationSettings,
    csrf: &str,
) -> Result<LocationSettings, ApiError> {
    let request = Request::put("/api/v1/settings")
        .header("X-CSRF-Token", csrf)
        .json(settings);
    answer(request).await
}

/// What the signed-in reviewer is told, and how.
pub async fn notification_preferences() -> Result<NotificationPreferences, ApiError> {
    get_json("/api/v1/me/notifications").await
}

/// Replaces the signed-in reviewer's notification preferences; a 422 names the fields out of
/// range.
pub async fn replace_notification_preferences(
    preferences: &NotificationPreferences,
    csrf: &str,
) -> Result<NotificationPreferences, ApiError> {
    let request = Request::put("/api/v1/me/notifications")
        .header("X-CSRF-Token", csrf)
        .json(preferences);
    answer(request).await
}

/// The newest notices sent to the signed-in reviewer (or kept in the built-in outbox).
pub async fn notices() -> Result<Vec<Notice>, ApiError> {
    get_json("/api/v1/me/notices").await
}

/// Makes every one-click decision link the signed-in reviewer was sent stop working.
pub async fn revoke_decision_links(csrf: &str) -> Result<(), ApiError> {
    let request = Request::post("/api/v1/me/decision-links/revoke")
        .header("X-CSRF-Token", csrf)
        .build();
    send(request).await.map(|_| ())
}

/// Decides many actions at once (or takes a batch of approvals back).
pub async fn bulk(request: &BulkRequest, csrf: &str) -> Result<BulkResponse, ApiError> {
    post_json("/api/v1/actions/bulk", request, csrf).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_domain::FieldError;

    #[test]
    fn a_problem_body_becomes_the_message_and_the_conflicting_status() {
        let problem = Problem {
            problem_type: "urn:ai-inbox:problem:conflict".to_owned(),
            title: "The action changed".to_owned(),
            status: 409,
            detail: "a rejected action cannot be approved".to_owned(),
            errors: Some(vec![FieldError::new("expected_version", "is 1, now 2")]),
            current_status: Some(ActionStatus::Rejected),
            current_version: Some(2),
            warnings: None,
            request_id: None,
        };
        let error = ApiError::answered(409, Some(problem));
        assert!(error.is_conflict());
        assert_eq!(error.current_status, Some(ActionStatus::Rejected));
        assert_eq!(
            error.field_error("expected_version").as_deref(),
            Some("is 1, now 2")
        );
        assert_eq!(error.field_error("status"), None);
        assert_eq!(
            error.message,
            "The action changed: a rejected action cannot be approved (expected_version: is 1, now 2)"
        );
    }

    #[test]
    fn an_answer_without_a_problem_says_its_status() {
        let error = ApiError::answered(502, None);
        assert_eq!(error.message, "The server answered 502.");
        assert!(!error.needs_sign_in());
        assert!(ApiError::answered(401, None).needs_sign_in());
    }
}
