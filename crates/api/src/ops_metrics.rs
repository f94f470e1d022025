//! The operators' Prometheus (OpenMetrics) endpoint, served on an address of its own
//! (`--metrics-bind`) so that it is never part of the public API: requests and their latency per
//! route, the outbox's depth and its oldest due delivery, how far the timer sweep lags, the
//! database pool and the open event streams.

use std::{sync::atomic::AtomicU64, time::Duration};

use chrono::{DateTime, Utc};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};
use sea_orm::DatabaseConnection;

use crate::db;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/api/v1/actions/{id}`), never the path itself, so that the series
    /// stay few; `other` for the web app's files and unknown paths.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type SecondsGauge = Gauge<f64, AtomicU64>;

/// Latency buckets from half a millisecond to about 16 seconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's counters and gauges, and the registry they are read through.
pub struct OpsMetrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    event_streams: Gauge,
    outbox_depth: Gauge,
    outbox_oldest_due: SecondsGauge,
    sweep_lag: SecondsGauge,
    db_connections: Family<PoolLabels, Gauge>,
}

impl Default for OpsMetrics {
    fn default() -> Self {
        let metrics = OpsMetrics {
            registry: Registry::with_prefix("inbox"),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            event_streams: Gauge::default(),
            outbox_depth: Gauge::default(),
            outbox_oldest_due: SecondsGauge::default(),
            sweep_lag: SecondsGauge::default(),
            db_connections: Family::default(),
        };
        let mut registry = metrics.registry;
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route",
            metrics.latency.clone(),
        );
        registry.register(
            "event_streams",
            "Open live event streams (Server-Sent Events)",
            metrics.event_streams.clone(),
        );
        registry.register(
            "outbox_depth",
            "Deliveries waiting to be sent or being sent",
            metrics.outbox_depth.clone(),
        );
        registry.register(
            "outbox_oldest_due_seconds",
            "How long the oldest due delivery has been waiting (0 when none is due)",
            metrics.outbox_oldest_due.clone(),
        );
        registry.register(
            "sweep_lag_seconds",
            "How long the oldest due timer (expiry, snooze, deferral) has waited for the sweep",
            metrics.sweep_lag.clone(),
        );
        registry.register(
            "db_connections",
            "Database pool connections, idle and in use",
            metrics.db_connections.clone(),
        );
        OpsMetrics {
            registry,
            ..metrics
        }
    }
}

impl OpsMetrics {
    /// Counts one answered request.
    pub fn observe(&self, method: &str, route: Option<&str>, status: u16, elapsed: Duration) {
        let route = route.unwrap_or("other").to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts an event stream as open until the returned guard is dropped.
    pub fn stream_opened(&self) -> OpenStream {
        self.event_streams.inc();
        OpenStream(self.event_streams.clone())
    }

    /// Everything, in the OpenMetrics text format, with the gauges read from the store now.
    pub async fn render(
        &self,
        db: &DatabaseConnection,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let backlog = db::deliveries::backlog(db, now).await?;
        let oldest_timer = db::actions::oldest_due_timer(db, now).await?;
        let waited = |since: Option<DateTime<Utc>>| {
            since.map_or(0.0, |since| {
                (now - since).num_milliseconds().max(0) as f64 / 1000.0
            })
        };
        self.outbox_depth
            .set(i64::try_from(backlog.waiting).unwrap_or(i64::MAX));
        self.outbox_oldest_due.set(waited(backlog.oldest_due));
        self.sweep_lag.set(waited(oldest_timer));
        let pool = db::pool_usage(db);
        for (state, connections) in [("idle", pool.idle), ("in_use", pool.in_use)] {
            self.db_connections
                .get_or_create(&PoolLabels { state })
                .set(i64::from(connections));
        }
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// An open event stream, counted while this lives.
pub struct OpenStream(Gauge);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.dec();
    }
}
