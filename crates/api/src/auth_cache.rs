//! Who a token belongs to, remembered for a moment: a burst of requests with one token costs one
//! lookup, not one each. An entry lives at most `ttl` (a second by default), so a key revoked on
//! another replica stops working within it; this replica forgets everything the moment a key is
//! revoked or a session ends here.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use crate::services::auth::{Authenticated, Principal};

/// More entries than this and the expired ones are dropped (and, if that is not enough, all).
const MOST_ENTRIES: usize = 10_000;

/// Token hash → who it authenticated, and when that was looked up.
#[derive(Debug, Default)]
pub struct AuthCache {
    /// `None`: every request looks its token up.
    ttl: Option<Duration>,
    entries: Mutex<HashMap<String, (Authenticated, Instant)>>,
}

impl AuthCache {
    pub fn new(ttl: Option<Duration>) -> AuthCache {
        AuthCache {
            ttl: ttl.filter(|ttl| !ttl.is_zero()),
            entries: Mutex::default(),
        }
    }

    /// Who `token_hash` authenticated less than `ttl` ago, if its session has not ended by `now`.
    pub fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Authenticated> {
        let ttl = self.ttl?;
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (authenticated, at) = entries.get(token_hash)?;
        let session_open = match &authenticated.principal {
            Principal::User { session, .. } => session.expires_at > now,
            Principal::Key(_) => true,
        };
        (at.elapsed() < ttl && session_open).then(|| authenticated.clone())
    }

    pub fn put(&self, token_hash: String, authenticated: &Authenticated) {
        let Some(ttl) = self.ttl else {
            return;
        };
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MOST_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.len() >= MOST_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(token_hash, (authenticated.clone(), Instant::now()));
    }

    /// Forgets everyone: a key was revoked or a session ended.
    pub fn forget_all(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
