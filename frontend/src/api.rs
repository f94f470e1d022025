//! The only module that talks HTTP: typed calls to the AI Inbox API.

use gloo_net::http::Request;
use inbox_domain::{
    dto::{ActionListItem, Page},
    metrics::Metrics,
    ActionStatus,
};
use serde::{de::DeserializeOwned, Deserialize};

/// Why a call failed, in words for the reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub message: String,
}

/// The parts of a problem+json body the client shows.
#[derive(Debug, Deserialize)]
struct Problem {
    title: String,
    #[serde(default)]
    detail: String,
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path).send().await.map_err(|error| ApiError {
        message: format!("The server could not be reached ({error})."),
    })?;
    if !response.ok() {
        let message = match response.json::<Problem>().await {
            Ok(problem) if !problem.detail.is_empty() => {
                format!("{}: {}", problem.title, problem.detail)
            }
            Ok(problem) => problem.title,
            Err(_) => format!("The server answered {}.", response.status()),
        };
        return Err(ApiError { message });
    }
    response.json::<T>().await.map_err(|error| ApiError {
        message: format!("The server's answer could not be read ({error})."),
    })
}

/// The metrics bar.
pub async fn metrics() -> Result<Metrics, ApiError> {
    get_json("/api/v1/metrics").await
}

/// The first page of a segment, newest first.
pub async fn actions(status: ActionStatus) -> Result<Page<ActionListItem>, ApiError> {
    get_json(&format!("/api/v1/actions?status={status}&limit=50")).await
}
