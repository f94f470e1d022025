//! The only module that talks HTTP: typed calls to the AI Inbox API. The session travels in an
//! HttpOnly cookie the browser sends by itself; changes also carry the CSRF token.

use gloo_net::http::{Request, RequestBuilder};
use inbox_domain::{
    auth::{Me, SignIn},
    dto::{ActionListItem, Page},
    metrics::Metrics,
    ActionStatus,
};
use serde::{de::DeserializeOwned, Deserialize};

/// Why a call failed, in words for the reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status, or 0 when the server was not reached.
    pub status: u16,
    pub message: String,
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
}

async fn send(
    request: Result<Request, gloo_net::Error>,
) -> Result<gloo_net::http::Response, ApiError> {
    let unreachable = |error: gloo_net::Error| ApiError {
        status: 0,
        message: format!("The server could not be reached ({error})."),
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
    let message = match response.json::<Problem>().await {
        Ok(problem) if !problem.detail.is_empty() => {
            format!("{}: {}", problem.title, problem.detail)
        }
        Ok(problem) => problem.title,
        Err(_) => format!("The server answered {status}."),
    };
    Err(ApiError { status, message })
}

async fn read<T: DeserializeOwned>(response: gloo_net::http::Response) -> Result<T, ApiError> {
    response.json::<T>().await.map_err(|error| ApiError {
        status: response.status(),
        message: format!("The server's answer could not be read ({error})."),
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

/// The first page of a segment, newest first.
pub async fn actions(status: ActionStatus) -> Result<Page<ActionListItem>, ApiError> {
    get_json(&format!("/api/v1/actions?status={status}&limit=50")).await
}
