//! Timers: undecided actions expire, snoozed ones wake up, deferred ones are released.
//!
//! [`run_once`] is one sweep at a given time; the server runs it on a schedule and tests call it
//! with their own clock. Several servers may sweep one database at once: every change is the
//! same conditional `UPDATE … WHERE version = ?` as a reviewer's, so each transition happens once.

pub mod deliveries;
pub mod webhook;

use std::time::Duration;

use chrono::{DateTime, Utc};
use inbox_domain::LifecycleEvent;
use sea_orm::DatabaseConnection;

use crate::{
    bus::EventBus,
    clock::Clock,
    db::actions::{lifecycle_of, with_timer_due, write_changes},
    services::{change::transition_change, Actor, ServiceError},
};

/// How many due actions one pass handles; a sweep repeats passes until none are left.
const BATCH: u64 = 500;

/// What a sweep changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: usize,
    pub woke: usize,
    pub released: usize,
}

/// Fires every timer due at `now`.
#[tracing::instrument(skip_all, fields(%now))]
pub async fn run_once(
    db: &DatabaseConnection,
    bus: &EventBus,
    now: DateTime<Utc>,
) -> Result<SweepReport, ServiceError> {
    let mut report = SweepReport::default();
    loop {
        let rows = with_timer_due(db, now, BATCH).await?;
        let mut prepared = Vec::with_capacity(rows.len());
        for row in &rows {
            let lifecycle = lifecycle_of(row);
            let Some(event) = lifecycle.due_event(now) else {
                continue;
            };
            if let Ok(transition) = lifecycle.apply(event, now) {
                prepared.push((
                    event,
                    transition_change(row, &transition, None, None, &Actor::system(), now),
                ));
            }
        }
        let changes: Vec<_> = prepared.iter().map(|(_, change)| change).collect();
        let applied = write_changes(db, bus, &changes).await?;
        for ((event, _), done) in prepared.iter().zip(&applied) {
            if *done {
                match event {
                    LifecycleEvent::Expire => report.expired += 1,
                    LifecycleEvent::SnoozeElapsed => report.woke += 1,
                    _ => report.released += 1,
                }
            }
        }
        // Rows another server changed first are simply left to it.
        if (rows.len() as u64) < BATCH || !applied.iter().any(|done| *done) {
            return Ok(report);
        }
    }
}

/// Sweeps every `interval` until the server stops.
pub async fn run_schedule(
    db: DatabaseConnection,
    bus: EventBus,
    clock: std::sync::Arc<dyn Clock>,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match run_once(&db, &bus, clock.now()).await {
            Ok(report) if report != SweepReport::default() => tracing::info!(?report, "sweep"),
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "sweep failed; retrying on the next tick"),
        }
    }
}
