//! Rate limits: how many requests one key (an API key, an email, an address) may make a minute.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    db::{self, StoreError},
    error::ApiError,
};

/// Fixed one-minute windows per key (an API key, an email, an address), counted in the database
/// so that replicas share one limit.
#[derive(Debug)]
pub struct RateLimiter {
    /// What is limited; it sets the keys of one limiter apart from another's.
    what: &'static str,
    per_minute: u32,
}

impl RateLimiter {
    pub fn new(what: &'static str, per_minute: u32) -> Self {
        RateLimiter { what, per_minute }
    }

    /// Counts one request for `key`; a 429 with the seconds to wait once over the limit.
    pub async fn check(
        &self,
        db: &DatabaseConnection,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let minute = now.timestamp().div_euclid(60);
        let counted = db::rate_windows::count_one(db, &format!("{}:{key}", self.what), minute)
            .await
            .map_err(StoreError::from)?;
        if u32::try_from(counted).unwrap_or(u32::MAX) > self.per_minute {
            let retry_after = u64::try_from(60 - now.timestamp().rem_euclid(60)).unwrap_or(60);
            return Err(ApiError::TooManyRequests { retry_after });
        }
        Ok(())
    }
}
