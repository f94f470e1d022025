//! `inbox seed --demo --actions N`: a year of history in the demo location, up to N actions in
//! all, for benchmarks. Every action is proposed, decided and delivered the way the API would
//! have done it (the same row and event constructors, the domain's transitions). Batches are made
//! on a thread of their own while the last is written, all in one transaction, so a run that is
//! stopped leaves nothing behind and can simply be run again; a load larger than the history
//! already there sets the secondary indexes aside and builds them again (see [`bulk_load`]).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    delivery::DeliveryState,
    dto::PreviewDraft,
    review::{Decision, DraftChanges},
    ActionStatus, EventKind, LifecycleEvent, Priority, RejectionReason,
};
use rand::{rngs::SmallRng, seq::SliceRandom, Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter,
};

use super::{
    applied, changed,
    content::{draft_for, AGENTS},
    decide, propose,
    random::{minutes, pick_weighted},
    Proposal, DEMO_LOCATION,
};
use crate::{
    db::insights::{loaded_history_sums, statements, TallyKey},
    db::{
        actions::{counts::CountChanges, NewEvent},
        bulk_load,
        deliveries::{new_row, sent_details},
        entities::{action_events, actions, agents, customers, deliveries, locations},
    },
    services::render,
};

/// The statuses of a year of history, in proportion (percent).
const HISTORY_MIX: &[(ActionStatus, u32)] = &[
    (ActionStatus::Pending, 5),
    (ActionStatus::Approved, 35),
    (ActionStatus::Rejected, 15),
    (ActionStatus::Expired, 15),
    (ActionStatus::AutoExecuted, 25),
    (ActionStatus::Snoozed, 3),
    (ActionStatus::Deferred, 2),
];

/// Actions written per transaction.
const BATCH: usize = 5_000;

/// What a top-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryReport {
    pub before: u64,
    pub added: u64,
}

impl std::fmt::Display for HistoryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.added == 0 {
            write!(
                f,
                "Location `{DEMO_LOCATION}` already holds {} actions; nothing changed.",
                self.before
            )
        } else {
            write!(
                f,
                "Location `{DEMO_LOCATION}` now holds {} actions ({} added).",
                self.before + self.added,
                self.added
            )
        }
    }
}

/// Adds actions to the demo location (which must exist) until it holds `total`.
pub async fn top_up(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    total: u64,
) -> anyhow::Result<HistoryReport> {
    let location = locations::Entity::find()
        .filter(locations::Column::Slug.eq(DEMO_LOCATION))
        .one(db)
        .await?
        .context("the demo location is missing: run `inbox seed --demo` first")?;
    let location_id = location.id;
    let zone = location.zone();
    let count = || {
        actions::Entity::find()
            .filter(actions::Column::LocationId.eq(location_id))
            .count(db)
    };
    let before = count().await?;
    let wanted = total.saturating_sub(before);
    if wanted == 0 {
        return Ok(HistoryReport { before, added: 0 });
    }
    let customers = customers::Entity::find()
        .filter(customers::Column::LocationId.eq(location_id))
        .all(db)
        .await?;
    let agents = agents::Entity::find()
        .filter(agents::Column::LocationId.eq(location_id))
        .all(db)
        .await?;
    let mut progress = Progress::new(wanted);
    // Made on a thread of their own while the previous batch is written.
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let making = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let maker = Maker {
            now,
            location: &location,
            customers: &customers,
            agents: &agents,
        };
        let mut made = 0;
        while made < wanted {
            let size = usize::try_from((wanted - made).min(BATCH as u64)).unwrap_or(BATCH);
            // Seeded by position: the same run makes the same rows.
            let mut rng = SmallRng::seed_from_u64(before + made);
            let mut batch = Batch::default();
            for _ in 0..size {
                let status = *pick_weighted(&mut rng, HISTORY_MIX);
                maker.action(status, &mut rng, &mut batch)?;
            }
            if batch.actions.is_empty() {
                anyhow::bail!("the demo location has no agents or customers to make actions of");
            }
            made += batch.actions.len() as u64;
            if sender.blocking_send(batch).is_err() {
                break; // The writer failed; it reports why.
            }
        }
        Ok(())
    });
    // One transaction: a run that is stopped leaves nothing behind and can simply be run again.
    // A load larger than what is there is written without the secondary indexes, which are
    // built again before it commits. One writer while the maker makes the next batch: on two
    // cores, the database's side of a `COPY` takes one, the maker and the writer the other
    // (batches of their own transactions, written two at once, were measured slower).
    let mut load = bulk_load::Load::begin(db, wanted > before).await?;
    let mut written = 0;
    // Insights' tallies, added up over the whole load and written once: a year of days, not a
    // statement per batch.
    let mut tallies = BTreeMap::new();
    while let Some(batch) = batches.recv().await {
        written += batch.write(&mut load, zone, &mut tallies).await?;
        progress.show(written);
    }
    for statement in statements(tallies) {
        load.run(&statement).await?;
    }
    making.await??;
    progress.finish();
    load.commit().await?;
    // The planner's statistics still describe the table before the load; fresh ones keep it
    // from choosing plans for an empty table. On PostgreSQL, VACUUM also marks the new pages
    // all-visible, so the metrics' index-only reads need not visit the table until autovacuum
    // would have come by (on SQLite, VACUUM would only rewrite the file).
    let refresh = match db.get_database_backend() {
        DbBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_unprepared(refresh).await?;
    // SQLite's write-ahead log file is now as large as the load: emptied, it gives the disk back.
    crate::db::truncate_log(db).await?;
    Ok(HistoryReport {
        before,
        added: count().await? - before,
    })
}

/// Rows to write together.
#[derive(Default)]
struct Batch {
    actions: Vec<actions::Model>,
    events: Vec<action_events::Model>,
    deliveries: Vec<deliveries::Model>,
}

impl Batch {
    /// Writes the batch with the kept counts, adding what it brings to Insights' tallies (of a
    /// location in `zone`) to `tallies`; returns how many actions it held.
    async fn write(
        self,
        load: &mut bulk_load::Load,
        zone: chrono_tz::Tz,
        tallies: &mut BTreeMap<TallyKey, i64>,
    ) -> anyhow::Result<u64> {
        let written = self.actions.len() as u64;
        let counts = CountChanges::of_new(&self.actions);
        for (key, value) in loaded_history_sums(&self.actions, &self.events, zone) {
            *tallies.entry(key).or_default() += value;
        }
        load.insert::<actions::Entity>(self.actions).await?;
        load.insert::<action_events::Entity>(self.events).await?;
        load.insert::<deliveries::Entity>(self.deliveries).await?;
        if let Some(statement) = counts.into_statement() {
            load.run(&statement).await?;
        }
        Ok(written)
    }
}

/// Makes actions of the location as its agents would have proposed them.
struct Maker<'a> {
    now: DateTime<Utc>,
    location: &'a locations::Model,
    customers: &'a [customers::Model],
    agents: &'a [agents::Model],
}

impl Maker<'_> {
    /// One action in `status` at `now`, with its history (and delivery, once it was sent).
    fn action(
        &self,
        status: ActionStatus,
        rng: &mut SmallRng,
        batch: &mut Batch,
    ) -> anyhow::Result<()> {
        let now = self.now;
        // A trusted agent sent its auto-executed actions; anyone may have proposed the rest.
        let specs: Vec<usize> = (0..AGENTS.len())
            .filter(|i| status != ActionStatus::AutoExecuted || !AGENTS[*i].auto_execute.is_empty())
            .collect();
        let index = *specs.choose(rng).context("no agent")?;
        let (spec, Some(agent)) = (
            &AGENTS[index],
            self.agents.iter().find(|a| a.slug == AGENTS[index].slug),
        ) else {
            return Ok(());
        };
        let audience: Vec<&customers::Model> = self
            .customers
            .iter()
            .filter(|c| spec.audience.contains(&c.customer_type))
            .collect();
        let Some(customer) = audience.choose(rng).copied() else {
            return Ok(());
        };
        let kinds: Vec<_> = spec
            .kinds
            .iter()
            .filter(|(kind, _)| {
                status != ActionStatus::AutoExecuted || spec.auto_execute.contains(kind)
            })
            .copied()
            .collect();
        let (action_type, channel) = *kinds.choose(rng).context("no kind")?;
        let window = Duration::hours(spec.expiry_hours);
        let year = 60 * 24 * 365;
        let created_at = match status {
            ActionStatus::Pending | ActionStatus::Snoozed => {
                now - minutes(rng, 5..window.num_minutes().min(60 * 40))
            }
            ActionStatus::Deferred => now - minutes(rng, 1..120),
            ActionStatus::Expired => now - window - minutes(rng, 30..year),
            _ => now - minutes(rng, 20..year),
        };
        let expires_at = created_at + window;
        let not_before =
            (status == ActionStatus::Deferred).then(|| now + minutes(rng, 30..60 * 12));
        let confidence: i16 = if status == ActionStatus::AutoExecuted {
            rng.gen_range(spec.auto_execute_min_confidence..=99)
        } else {
            rng.gen_range(48..spec.auto_execute_min_confidence.min(97))
        };
        let priority = *[
            Priority::Low,
            Priority::Medium,
            Priority::Medium,
            Priority::High,
            Priority::Critical,
        ]
        .choose(rng)
        .unwrap_or(&Priority::Medium);
        let draft = draft_for(spec, action_type, customer, rng);
        let (action, proposed) = propose(
            Proposal {
                location_id: self.location.id,
                agent,
                customer,
                action_type,
                channel,
                draft,
                confidence,
                priority,
                created_at,
                expires_at,
                not_before,
                external_id: None,
                auto_executed: status == ActionStatus::AutoExecuted,
            },
            rng,
        )?;
        batch.events.push(proposed);
        let latest_review = (expires_at.min(now) - created_at)
            .num_minutes()
            .clamp(2, 8 * 60);
        let reviewed_at = created_at + minutes(rng, 1..latest_review);
        let action = match status {
            ActionStatus::Approved => decide(
                action,
                Decision::Approve {
                    changes: DraftChanges::default(),
                },
                reviewed_at,
                &mut batch.events,
            )?,
            ActionStatus::Rejected => {
                let reason = *RejectionReason::ALL
                    .iter()
                    .filter(|reason| **reason != RejectionReason::Other)
                    .collect::<Vec<_>>()
                    .choose(rng)
                    .copied()
                    .unwrap_or(&RejectionReason::PoorTiming);
                decide(
                    action,
                    Decision::Reject { reason, note: None },
                    reviewed_at,
                    &mut batch.events,
                )?
            }
            ActionStatus::Snoozed => {
                let at = now - minutes(rng, 1..(now - created_at).num_minutes().max(2));
                let until =
                    (now + minutes(rng, 30..60 * 30)).min(expires_at - Duration::minutes(1));
                decide(
                    action,
                    Decision::Snooze { until, note: None },
                    at,
                    &mut batch.events,
                )?
            }
            ActionStatus::Expired => {
                let change = changed(&action, LifecycleEvent::Expire, None, expires_at)?;
                applied(action, change, &mut batch.events)?
            }
            ActionStatus::Pending | ActionStatus::Deferred | ActionStatus::AutoExecuted => action,
        };
        if matches!(status, ActionStatus::Approved | ActionStatus::AutoExecuted) {
            self.sent(&action, customer, &mut batch.events, &mut batch.deliveries)?;
        }
        batch.actions.push(action);
        Ok(())
    }

    /// The message an approved or auto-executed action sent, and the history entry saying so.
    fn sent(
        &self,
        action: &actions::Model,
        customer: &customers::Model,
        events: &mut Vec<action_events::Model>,
        deliveries: &mut Vec<deliveries::Model>,
    ) -> anyhow::Result<()> {
        let decided_at = action
            .approved_at
            .or(action.auto_executed_at)
            .unwrap_or(action.created_at);
        let sent_at = (decided_at + Duration::seconds(10)).min(self.now);
        // Rendered as an approval renders it: the customer got exactly this.
        let message = render::message(action, customer, self.location, &PreviewDraft::default())?;
        let mut delivery = new_row(action, message, sent_at, decided_at);
        delivery.state = DeliveryState::Sent;
        delivery.attempts = 1;
        delivery.sent_at = Some(sent_at);
        delivery.updated_at = sent_at;
        events.push(
            NewEvent {
                action,
                kind: EventKind::Sent,
                from: None,
                to: None,
                version: action.version,
                actor: "system",
                at: sent_at,
                data: sent_details(&delivery, None, delivery.attempts),
            }
            .into_row(),
        );
        deliveries.push(delivery);
        Ok(())
    }
}

/// How far a long seed has come: a bar on a terminal, a line per tenth otherwise.
struct Progress {
    wanted: u64,
    started: std::time::Instant,
    terminal: bool,
    last_tenth: u64,
}

impl Progress {
    fn new(wanted: u64) -> Progress {
        Progress {
            wanted,
            started: std::time::Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            last_tenth: 0,
        }
    }

    fn show(&mut self, done: u64) {
        let rate = done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let mut stderr = std::io::stderr();
        if self.terminal {
            let filled = usize::try_from(done * 30 / self.wanted.max(1)).unwrap_or(30);
            let _ = write!(
                stderr,
                "\r[{}{}] {done}/{} actions · {rate:.0}/s",
                "#".repeat(filled),
                " ".repeat(30 - filled.min(30)),
                self.wanted
            );
        } else {
            let tenth = done * 10 / self.wanted.max(1);
            if tenth > self.last_tenth {
                self.last_tenth = tenth;
                let _ = writeln!(stderr, "{done}/{} actions · {rate:.0}/s", self.wanted);
            }
        }
    }

    fn finish(&self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}
