//! Deterministic randomness for the demo: a fixed seed gives the same data on every run.

use chrono::{DateTime, Duration, Utc};
use rand::{rngs::SmallRng, Rng};
use uuid::Uuid;

/// A UUIDv7 whose time part is `at`, so ids sort like the rows' creation times.
pub(super) fn id_at(at: DateTime<Utc>, rng: &mut SmallRng) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
    uuid::Builder::from_unix_timestamp_millis(millis, &rng.gen::<[u8; 10]>()).into_uuid()
}

pub(super) fn pick_weighted<'a, T>(rng: &mut SmallRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.gen_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &items[items.len() - 1].0
}

pub(super) fn minutes(rng: &mut SmallRng, range: std::ops::Range<i64>) -> Duration {
    Duration::minutes(rng.gen_range(range))
}
