//! Rate limits: how many requests one key (an API key, an email, an address) may make a minute.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use chrono::{DateTime, Utc};

use crate::error::ApiError;

/// Fixed one-minute windows per key (an API key, an email, an address). Counts live in this
/// process: with several replicas each allows the limit.
#[derive(Debug, Default)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// Counts one request for `key`; a 429 with the seconds to wait once over the limit.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
        let minute = now.timestamp().div_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > 10_000 {
            windows.retain(|_, (window, _)| *window == minute);
        }
        let (window, count) = windows.entry(key.to_owned()).or_insert((minute, 0));
        if *window != minute {
            (*window, *count) = (minute, 0);
        }
        if *count >= self.per_minute {
            let retry_after = u64::try_from(60 - now.timestamp().rem_euclid(60)).unwrap_or(60);
            return Err(ApiError::TooManyRequests { retry_after });
        }
        *count += 1;
        Ok(())
    }
}
