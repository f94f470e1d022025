//! The metrics the live event streams send after each change, and `GET /metrics` answers,
//! computed once per location and change (and second) however many reviewers watch or ask: two
//! hundred open streams cost one computation, not two hundred.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, PoisonError,
    },
};

use chrono::{DateTime, TimeDelta, Utc};
use inbox_domain::metrics::Metrics;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    bus::EventBus,
    db::{self, StoreError},
};

/// Metrics of a day and a week also move with time alone: reused at most this long.
const LONGEST_REUSE: TimeDelta = TimeDelta::seconds(1);

/// One location's last metrics: the bus generation they were computed at, and the time (of the
/// server's clock) they were computed for.
type Slot = Arc<tokio::sync::Mutex<Option<((u64, u64), DateTime<Utc>, Metrics)>>>;

#[derive(Debug, Default)]
pub struct LiveMetrics {
    slots: Mutex<HashMap<Uuid, Slot>>,
    computed: AtomicU64,
}

impl LiveMetrics {
    /// The location's metrics as of every change `bus` has announced: the ones another stream
    /// computed since, or fresh ones. Streams of one location wait for each other's
    /// computation rather than all running it.
    pub async fn of(
        &self,
        db: &DatabaseConnection,
        bus: &EventBus,
        location_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Metrics, StoreError> {
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(location_id)
            .or_default()
            .clone();
        let mut last = slot.lock().await;
        // Read before computing: a change announced meanwhile makes these stale at once.
        let generation = bus.generation(location_id);
        if let Some((at, then, metrics)) = last.as_ref() {
            let age = now - *then;
            if *at == generation && age >= TimeDelta::zero() && age < LONGEST_REUSE {
                return Ok(metrics.clone());
            }
        }
        let metrics = db::metrics::compute(db, location_id, now).await?;
        self.computed.fetch_add(1, Ordering::Relaxed);
        *last = Some((generation, now, metrics.clone()));
        Ok(metrics)
    }

    /// How many times metrics were computed (for tests and logs).
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }
}
