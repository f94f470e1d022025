//! The only module that talks HTTP: typed calls to the AI Inbox API. The session travels in an
//! HttpOnly cookie the browser sends by itself; changes also carry the CSRF token.

use gloo_net::http::{Request, RequestBuilder};
use inbox_domain::{
    auth::{Me, SignIn},
    dto::{
        ActionDetail, ActionListItem, Agent, BulkRequest, BulkResponse, CustomerDetail, Page,
        Preview, PreviewDraft, UpdateAgent,
    },
    metrics::Metrics,
    ActionStatus,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// Why a call failed, in words for the reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status, or 0 when the server was not reached.
    pub status: u16,
    pub message: String,
    /// For a conflict: where the action stands now.
    pub current_status: Option<ActionStatus>,
}

impl ApiError {
    /// The caller is not signed in (or the session ended).
    pub fn needs_sign_in(&self) -> bool {
        self.status == 401
    }
}

/// The parts of a problem+json body the client shows.
#[derive(Debug, Deserialize)]
struct Problem {
    title: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    current_status: Option<ActionStatus>,
    #[serde(default)]
    errors: Vec<FieldProblem>,
}

#[derive(Debug, Deserialize)]
struct FieldProblem {
    field: String,
    message: String,
}

async fn send(
    request: Result<Request, gloo_net::Error>,
) -> Result<gloo_net::http::Response, ApiError> {
    let unreachable = |error: gloo_net::Error| ApiError {
        status: 0,
        message: format!("The server could not be reached ({error})."),
        current_status: None,
    };
    let response = request
        .map_err(unreachable)?
        .send()
        .await
        .map_err(unreachable)?;
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let (message, current_status) = match response.json::<Problem>().await {
        Ok(problem) => {
            let fields: Vec<String> = problem
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            let mut message = if problem.detail.is_empty() {
                problem.title
            } else {
                format!("{}: {}", problem.title, problem.detail)
            };
            if !fields.is_empty() {
                message = format!("{message} ({})", fields.join("; "));
            }
            (message, problem.current_status)
        }
        Err(_) => (format!("The server answered {status}."), None),
    };
    Err(ApiError {
        status,
        message,
        current_status,
    })
}

async fn read<T: DeserializeOwned>(response: gloo_net::http::Response) -> Result<T, ApiError> {
    response.json::<T>().await.map_err(|error| ApiError {
        status: response.status(),
        message: format!("The server's answer could not be read ({error})."),
        current_status: None,
    })
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    read(send(RequestBuilder::new(path).build()).await?).await
}

/// Who is signed in; a 401 when nobody is.
pub async fn me() -> Result<Me, ApiError> {
    get_json("/api/v1/auth/me").await
}

/// Signs in; the session cookie is set by the answer.
pub async fn sign_in(email: String, password: String) -> Result<Me, ApiError> {
    let request = Request::post("/api/v1/auth/sign-in").json(&SignIn { email, password });
    read(send(request).await?).await
}

/// Ends the session.
pub async fn sign_out(csrf_token: String) -> Result<(), ApiError> {
    send(
        Request::post("/api/v1/auth/sign-out")
            .header("X-CSRF-Token", &csrf_token)
            .build(),
    )
    .await
    .map(|_| ())
}

/// The metrics bar.
pub async fn metrics() -> Result<Metrics, ApiError> {
    get_json("/api/v1/metrics").await
}

/// Changes an agent's settings (admins).
pub async fn update_agent(
    id: String,
    changes: UpdateAgent,
    csrf: String,
) -> Result<Agent, ApiError> {
    let request = Request::patch(&format!("/api/v1/agents/{id}"))
        .header("X-CSRF-Token", &csrf)
        .json(&changes);
    read(send(request).await?).await
}

/// A customer with their history and actions.
pub async fn customer(id: String) -> Result<CustomerDetail, ApiError> {
    get_json(&format!("/api/v1/customers/{id}")).await
}

/// A page of the list, from a query made by [`crate::state::InboxView::api_query`].
pub async fn list(url: String) -> Result<Page<ActionListItem>, ApiError> {
    get_json(&url).await
}

/// One action in full.
pub async fn action(id: String) -> Result<ActionDetail, ApiError> {
    get_json(&format!("/api/v1/actions/{id}")).await
}

/// The agents of the location.
pub async fn agents() -> Result<Vec<Agent>, ApiError> {
    get_json("/api/v1/agents").await
}

async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
    csrf: &str,
) -> Result<T, ApiError> {
    let request = Request::post(path).header("X-CSRF-Token", csrf).json(body);
    read(send(request).await?).await
}

/// A reviewer's verb: `approve`, `reject` or `snooze`, with its body.
pub async fn review(
    id: String,
    verb: &'static str,
    body: serde_json::Value,
    csrf: String,
) -> Result<ActionDetail, ApiError> {
    post_json(&format!("/api/v1/actions/{id}/{verb}"), &body, &csrf).await
}

/// Exactly what the customer would receive.
pub async fn preview(id: String, draft: PreviewDraft, csrf: String) -> Result<Preview, ApiError> {
    post_json(&format!("/api/v1/actions/{id}/preview"), &draft, &csrf).await
}

/// Decides many actions at once.
pub async fn bulk(request: BulkRequest, csrf: String) -> Result<BulkResponse, ApiError> {
    post_json("/api/v1/actions/bulk", &request, &csrf).await
}
