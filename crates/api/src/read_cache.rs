//! Answers to reads that many reviewers repeat, kept while nothing they show can have changed.
//!
//! After every change each open inbox refetches the same first page (and often the same
//! action): with a team watching, one decision would cost a page query per reviewer. Here the
//! first request computes the answer and the others, arriving meanwhile or after, reuse its bytes
//! while all of these hold:
//! - the location's bus generation is the same: no change was announced since (this replica's
//!   own, or another's through PostgreSQL);
//! - no timer of the location has fired since (a snooze ending, an expiry): the answer carries
//!   the time the next one fires;
//! - less than the time to live has passed on the server's clock, which bounds how long a write
//!   the bus does not carry across replicas (another replica's delivery attempt or reported
//!   outcome) goes unseen.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, PoisonError,
    },
};

use actix_web::web::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    bus::EventBus,
    db::{self, StoreError},
};

/// More distinct reads than this, or more bytes of answers kept since it last started over, and
/// the cache starts over: it holds the reads of the moment, not a history.
const MOST_ENTRIES: usize = 10_000;
const MOST_BYTES: usize = 32 << 20;

/// One read of one location, as the request asked it (its path and query string).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadKey {
    pub location_id: Uuid,
    pub read: String,
}

#[derive(Debug)]
struct Entry {
    generation: (u64, u64),
    valid_until: DateTime<Utc>,
    body: Bytes,
}

type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

#[derive(Debug, Default)]
pub struct ReadCache {
    /// `None`: every read is computed.
    ttl: Option<TimeDelta>,
    slots: Mutex<HashMap<ReadKey, Slot>>,
    /// Bytes of answers kept since the cache last started over (replaced ones included).
    kept_bytes: AtomicUsize,
}

impl ReadCache {
    pub fn new(ttl: Option<std::time::Duration>) -> ReadCache {
        ReadCache {
            ttl: ttl
                .filter(|ttl| !ttl.is_zero())
                .and_then(|ttl| TimeDelta::from_std(ttl).ok()),
            ..ReadCache::default()
        }
    }

    /// The answer to `key` at `now`: a kept one that is still true, or `compute`'s. Requests for
    /// one key wait for each other's computation rather than all running it.
    pub async fn get<E, F, Fut>(
        &self,
        db: &DatabaseConnection,
        bus: &EventBus,
        key: ReadKey,
        now: DateTime<Utc>,
        compute: F,
    ) -> Result<Bytes, E>
    where
        E: From<StoreError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, E>>,
    {
        let Some(ttl) = self.ttl else {
            return compute().await;
        };
        let location_id = key.location_id;
        let slot = self.slot(key);
        let mut kept = slot.lock().await;
        // Read before computing: a change announced meanwhile makes the answer stale at once.
        let generation = bus.generation(location_id);
        if let Some(entry) = kept.as_ref() {
            // Not `computed_at <= now`: a request that read the clock before an answer was
            // computed for a later instant may use it; it is no less true.
            if entry.generation == generation && now < entry.valid_until {
                return Ok(entry.body.clone());
            }
        }
        let body = compute().await?;
        self.kept_bytes.fetch_add(body.len(), Ordering::Relaxed);
        let next_timer = db::actions::next_change_by_time(db, location_id, now)
            .await
            .map_err(StoreError::from)?;
        *kept = Some(Entry {
            generation,
            valid_until: next_timer.map_or(now + ttl, |timer| timer.min(now + ttl)),
            body: body.clone(),
        });
        Ok(body)
    }

    fn slot(&self, key: ReadKey) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let full = slots.len() >= MOST_ENTRIES && !slots.contains_key(&key);
        if full || self.kept_bytes.load(Ordering::Relaxed) > MOST_BYTES {
            slots.clear();
            self.kept_bytes.store(0, Ordering::Relaxed);
        }
        slots.entry(key).or_default().clone()
    }
}
