//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth_cache::AuthCache, bus::EventBus, clock::Clock, live_metrics::LiveMetrics,
    ops_metrics::OpsMetrics, rate_limit::RateLimiter, read_cache::ReadCache, shutdown::Stopping,
};

/// The server's shared state, built once by [`crate::startup::Application::build`].
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    /// Announces committed action changes to the live event streams.
    pub bus: EventBus,
    /// How long a reviewer stays signed in.
    pub session_lifetime: chrono::Duration,
    /// Proposals per minute per API key.
    pub propose_limiter: RateLimiter,
    /// Sign-in attempts per minute per email and per address.
    pub sign_in_limiter: RateLimiter,
    /// How many matches a filtered action list counts before it reports "at least this many".
    pub count_cap: u64,
    /// How often an idle event stream sends a keepalive and re-checks its caller.
    pub keepalive: std::time::Duration,
    /// How long an approved message waits before it leaves, so that it can be taken back.
    pub undo_window: chrono::Duration,
    /// Who each token belongs to, for a moment.
    pub auth_cache: AuthCache,
    /// The metrics the event streams send, once per location and change.
    pub live_metrics: LiveMetrics,
    /// The pages and actions reviewers repeat, while nothing they show has changed.
    pub read_cache: ReadCache,
    /// What operators scrape: request counts and latencies, backlogs, pool and streams.
    pub ops_metrics: OpsMetrics,
    /// Set once the server stops: event streams end, readiness fails.
    pub stopping: Stopping,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where reviewers reach the app, for the links in notices (no trailing slash).
    pub public_url: String,
}
