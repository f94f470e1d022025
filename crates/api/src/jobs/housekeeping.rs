//! Forgetting what no longer matters, so that no table grows without bound: past rate-limit
//! windows, idempotency keys older than a day (a retry comes within minutes; Stripe keeps its
//! keys for as long), sessions that ended, review leases that ended, and the record of used
//! one-click links once no link of their time could work anyway.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;

use crate::{db, services::ServiceError};

/// How long an `Idempotency-Key` is remembered; a retry after that is a new request.
pub const IDEMPOTENCY_KEPT: TimeDelta = TimeDelta::hours(24);

/// What one pass forgot.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct HousekeepingReport {
    pub rate_windows: u64,
    pub idempotency_keys: u64,
    pub sessions: u64,
    pub review_leases: u64,
    pub used_links: u64,
}

/// One pass at `now`.
pub async fn run_once(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<HousekeepingReport, ServiceError> {
    let minute = now.timestamp().div_euclid(60);
    Ok(HousekeepingReport {
        rate_windows: db::rate_windows::forget_before(db, minute).await?,
        idempotency_keys: db::idempotency::forget_before(db, now - IDEMPOTENCY_KEPT).await?,
        sessions: db::auth::forget_sessions_ended_before(db, now).await?,
        review_leases: db::leases::forget_ended(db, now).await?,
        used_links: db::notices::forget_used_links(
            db,
            now - TimeDelta::hours(inbox_domain::notices::LINK_HOURS),
        )
        .await?,
    })
}
