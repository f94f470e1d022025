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

/// Metrics of a day and a week also move with time alone: reused as they are at most this long.
const LONGEST_REUSE: TimeDelta = TimeDelta::seconds(1);

/// Up to this age, metrics that only time has aged are still answered at once while one
/// request's worth of fresh ones is computed in the background: readers never queue behind the
/// once-a-second recomputation. Older (an idle location) or changed since, they wait for it.
const LONGEST_STALE: TimeDelta = TimeDelta::seconds(2);

/// Metrics as computed at a bus generation, for an instant of the server's clock.
#[derive(Debug, Clone)]
struct Computed {
    generation: (u64, u64),
    at: DateTime<Utc>,
    metrics: Metrics,
}

/// One location's last metrics, and the lock one computation at a time holds.
#[derive(Debug, Default)]
struct Slot {
    last: Mutex<Option<Computed>>,
    computing: Arc<tokio::sync::Mutex<()>>,
}

impl Slot {
    fn last(&self) -> Option<Computed> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// How far `last` can serve a read at `generation` and `now`.
enum Reuse {
    Fresh(Metrics),
    /// Answer with these, and refresh them.
    Stale(Metrics),
    No,
}

fn reuse(last: Option<Computed>, generation: (u64, u64), now: DateTime<Utc>) -> Reuse {
    let Some(last) = last.filter(|last| last.generation == generation) else {
        return Reuse::No;
    };
    let age = now - last.at;
    if age < TimeDelta::zero() || age >= LONGEST_STALE {
        Reuse::No
    } else if age < LONGEST_REUSE {
        Reuse::Fresh(last.metrics)
    } else {
        Reuse::Stale(last.metrics)
    }
}

#[derive(Debug, Default)]
pub struct LiveMetrics {
    slots: Mutex<HashMap<Uuid, Arc<Slot>>>,
    computed: Arc<AtomicU64>,
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
        match reuse(slot.last(), bus.generation(location_id), now) {
            Reuse::Fresh(metrics) => return Ok(metrics),
            Reuse::Stale(metrics) => {
                // Whoever holds the lock is already computing newer ones.
                if let Ok(computing) = slot.computing.clone().try_lock_owned() {
                    let (db, bus, computed) = (db.clone(), bus.clone(), self.computed.clone());
                    tokio::spawn(async move {
                        let _computing = computing;
                        if let Err(error) =
                            compute(&slot, &db, &bus, &computed, location_id, now).await
                        {
                            tracing::warn!(%error, "refreshing the metrics failed");
                        }
                    });
                }
                return Ok(metrics);
            }
            Reuse::No => {}
        }
        let _computing = slot.computing.lock().await;
        // Another caller may have computed them while this one waited.
        if let Reuse::Fresh(metrics) = reuse(slot.last(), bus.generation(location_id), now) {
            return Ok(metrics);
        }
        compute(&slot, db, bus, &self.computed, location_id, now).await
    }

    /// How many times metrics were computed (for tests and logs).
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }
}

/// Computes the location's metrics into `slot`; the caller holds its `computing` lock.
async fn compute(
    slot: &Slot,
    db: &DatabaseConnection,
    bus: &EventBus,
    computed: &AtomicU64,
    location_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Metrics, StoreError> {
    // Read before computing: a change announced meanwhile makes these stale at once.
    let generation = bus.generation(location_id);
    let metrics = db::metrics::compute(db, location_id, now).await?;
    computed.fetch_add(1, Ordering::Relaxed);
    *slot.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(Computed {
        generation,
        at: now,
        metrics: metrics.clone(),
    });
    Ok(metrics)
}
