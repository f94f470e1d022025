//! What operators see of every request: an id, one structured log line and its place in the
//! Prometheus counters ([`crate::ops_metrics`]).
//!
//! The id is a proxy's `X-Request-Id` when that is a plain token, a new one otherwise. It is
//! echoed in the response's `X-Request-Id` and in every problem body, so a user's report of an
//! error leads straight to its log line.

use std::time::Instant;

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};

use crate::{request_id, state::AppState};

/// The header that carries a request's id, both ways.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A forwarded id is kept only when it cannot forge a log line or a header: 1 to 64 letters,
/// digits and `-_.:`.
fn is_plain_token(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:".contains(&byte))
}

/// Tags, logs and counts one request. Outermost, so that every answer, errors of the inner
/// middleware included, is tagged. The query string is left out of the log: it may carry
/// secrets.
pub async fn observe_request(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_plain_token(id))
        .map_or_else(|| uuid::Uuid::now_v7().simple().to_string(), str::to_owned);
    let method = request.method().clone();
    let path = request.path().to_owned();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    // Errors become responses inside the scope, so that their problem bodies carry the id. (The
    // request cannot be kept aside for that: routing needs it unshared.)
    let outcome = request_id::scope(id.clone(), async move {
        next.call(request)
            .await
            .map_err(|error| error.error_response())
    })
    .await;
    let elapsed = started.elapsed();
    let (route, status) = match &outcome {
        Ok(response) => (response.request().match_pattern(), response.status()),
        Err(response) => (None, response.status()),
    };
    if let Some(state) = state {
        state
            .ops_metrics
            .observe(method.as_str(), route.as_deref(), status.as_u16(), elapsed);
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        route = route.as_deref().unwrap_or("-"),
        status = status.as_u16(),
        elapsed_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    let header = HeaderValue::from_str(&id).ok();
    match outcome {
        Ok(mut response) => {
            if let Some(header) = header {
                response.headers_mut().insert(REQUEST_ID_HEADER, header);
            }
            Ok(response.map_into_boxed_body())
        }
        Err(mut response) => {
            if let Some(header) = header {
                response.headers_mut().insert(REQUEST_ID_HEADER, header);
            }
            Err(InternalError::from_response(format!("request {id} failed"), response).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_kept_as_ids() {
        assert!(is_plain_token("0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57"));
        assert!(is_plain_token("lb:1.2_x"));
        assert!(!is_plain_token(""));
        assert!(!is_plain_token(&"a".repeat(65)));
        assert!(!is_plain_token("forged\nstatus=200"));
        assert!(!is_plain_token("a b"));
        assert!(!is_plain_token("<script>"));
    }
}
