//! Timers: undecided actions expire, snoozed ones wake up, deferred ones are released.
//!
//! [`run_once`] is one sweep at a given time; the server runs it on a schedule and tests call it
//! with their own clock. Several servers may sweep one database at once: every change is the
//! same conditional `UPDATE … WHERE version = ?` as a reviewer's, so each transition happens once.

pub mod deliveries;
pub mod housekeeping;
pub mod notices;
pub mod webhook;
pub mod webhooks;

use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use inbox_domain::{ActionStatus, LifecycleEvent};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tokio::task::JoinHandle;

use crate::{
    bus::EventBus,
    clock::Clock,
    db::actions::{lifecycle_of, with_timer_due, write_changes},
    services::{self, auto_execute, change::transition_change, Actor, ServiceError},
    shutdown::Stopping,
};

/// How many due actions one pass handles; a sweep repeats passes until none are left.
const BATCH: u64 = 500;

/// What a sweep changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub expired: usize,
    pub woke: usize,
    pub released: usize,
    /// Held proposals of trusted agents, sent as they were released.
    pub auto_executed: usize,
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
        let mut pass = auto_execute::ReleasePass::default();
        for row in &rows {
            let lifecycle = lifecycle_of(row);
            let Some(event) = lifecycle.due_event(now) else {
                continue;
            };
            if let Some(change) = auto_execute::on_release(db, row, now, &mut pass).await? {
                let event = if change.change.status == ActionStatus::AutoExecuted {
                    LifecycleEvent::AutoExecute
                } else {
                    event
                };
                prepared.push((event, change));
            } else if let Ok(transition) = lifecycle.apply(event, now) {
                prepared.push((
                    event,
                    transition_change(row, &transition, None, None, &Actor::system(), now),
                ));
            }
        }
        let changes: Vec<_> = prepared.iter().map(|(_, change)| change).collect();
        let applied = write_changes(db, bus, &changes, None).await?;
        for ((event, _), done) in prepared.iter().zip(&applied) {
            if *done {
                match event {
                    LifecycleEvent::Expire => report.expired += 1,
                    LifecycleEvent::SnoozeElapsed => report.woke += 1,
                    LifecycleEvent::AutoExecute => report.auto_executed += 1,
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

/// Runs `pass` every `interval` until the server stops, logging what each pass did (when it did
/// anything) and its failures: the next tick simply tries again. A pass under way when the
/// server stops is finished, not cut off.
pub async fn repeat<F, Fut, R>(
    what: &'static str,
    interval: Duration,
    mut stopping: Stopping,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<R, ServiceError>>,
    R: std::fmt::Debug + Default + PartialEq,
{
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = stopping.stopped() => return,
            _ = ticker.tick() => {}
        }
        match pass().await {
            Ok(report) if report != R::default() => tracing::info!(?report, "{what}"),
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "{what} failed; retrying on the next tick"),
        }
    }
}

/// Starts the background work of a server: the timer sweep, the delivery worker, the webhook
/// worker, the housekeeping (past rate-limit windows, old idempotency keys, ended sessions) and
/// SQLite's checkpoints (`db::Workload::Server`), each on its own task so that none holds up
/// another. They end when `stopping` says so; the handles resolve once each has finished its
/// pass.
pub fn spawn_all(
    db: &DatabaseConnection,
    bus: &EventBus,
    outbound: &deliveries::Outbound,
    clock: &std::sync::Arc<dyn Clock>,
    (sweep_interval, notice_interval, public_url): (Duration, Duration, &str),
    stopping: &Stopping,
) -> Vec<JoinHandle<()>> {
    let notices_outbound = outbound.clone();
    let (db2, bus2, clock2) = (db.clone(), bus.clone(), clock.clone());
    let sweep = tokio::spawn(repeat(
        "sweep",
        sweep_interval,
        stopping.clone(),
        move || {
            let (db, bus, now) = (db2.clone(), bus2.clone(), clock2.now());
            async move { run_once(&db, &bus, now).await }
        },
    ));
    let (db2, bus2, outbound, clock2) = (db.clone(), bus.clone(), outbound.clone(), clock.clone());
    let stopping2 = stopping.clone();
    let deliver = tokio::spawn(repeat(
        "deliveries",
        Duration::from_secs(1),
        stopping.clone(),
        move || {
            let (db, bus, outbound, now) =
                (db2.clone(), bus2.clone(), outbound.clone(), clock2.now());
            let stopping = stopping2.clone();
            async move { deliveries::run_until_stopping(&db, &bus, &outbound, now, &stopping).await }
        },
    ));
    let (db2, clock2, http) = (db.clone(), clock.clone(), webhooks::client());
    let notify = tokio::spawn(repeat(
        "webhooks",
        Duration::from_secs(1),
        stopping.clone(),
        move || {
            let (db, http, now) = (db2.clone(), http.clone(), clock2.now());
            async move { webhooks::run_once(&db, &http, now).await }
        },
    ));
    let (db2, clock2) = (db.clone(), clock.clone());
    let housekeep = tokio::spawn(repeat(
        "housekeeping",
        Duration::from_secs(60),
        stopping.clone(),
        move || {
            let (db, now) = (db2.clone(), clock2.now());
            async move { housekeeping::run_once(&db, now).await }
        },
    ));
    let (db2, outbound, clock2, http) = (
        db.clone(),
        notices_outbound,
        clock.clone(),
        webhooks::client(),
    );
    let public_url = public_url.to_owned();
    let notices_task = tokio::spawn(repeat(
        "notices",
        notice_interval,
        stopping.clone(),
        move || {
            let (db, outbound, http, now) =
                (db2.clone(), outbound.clone(), http.clone(), clock2.now());
            let public_url = public_url.clone();
            async move { tell(&db, &outbound, &http, &public_url, now).await }
        },
    ));
    let mut tasks = vec![sweep, deliver, notify, housekeep, notices_task];
    // Only a SQLite server copies its write-ahead log itself; PostgreSQL has its checkpointer.
    if db.get_database_backend() == DbBackend::Sqlite {
        let (db2, log_seen) = (db.clone(), Arc::new(AtomicI64::new(0)));
        tasks.push(tokio::spawn(repeat(
            "checkpoint",
            Duration::from_secs(1),
            stopping.clone(),
            move || {
                let (db, log_seen) = (db2.clone(), log_seen.clone());
                async move {
                    let log = crate::db::checkpoint(&db).await?;
                    // Something was written since the last pass: its transaction's pages, kept
                    // in memory until it committed, are free now; give them back to the system.
                    if log_seen.swap(log, Ordering::Relaxed) != log {
                        inbox_allocator::release_free_memory();
                    }
                    Ok(())
                }
            },
        )));
    }
    tasks
}

/// Puts the notices due at `now` in the outbox and sends what is due there: one run of
/// `inbox digest`, and of the server's schedule.
pub async fn tell(
    db: &DatabaseConnection,
    outbound: &deliveries::Outbound,
    http: &reqwest::Client,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<(services::notify::NotifyReport, notices::NoticeReport), ServiceError> {
    let told = services::notify::run_once(db, public_url, now).await?;
    let sent = notices::run_once(db, outbound, http, now, None).await?;
    Ok((told, sent))
}
