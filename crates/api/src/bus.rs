//! Fan-out of committed action changes to the live event streams.
//!
//! On PostgreSQL several API replicas share one database, so a change is announced with
//! `pg_notify` inside the transaction that makes it: PostgreSQL delivers it at commit (never for a
//! rolled-back change) to every replica, this one included, whose listener feeds its streams.
//! SQLite is one process: changes are handed to the streams directly after commit.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use inbox_domain::{dto::ActionChanged, safeguards::PresenceChanged};
use sea_orm::{
    sqlx::postgres::PgListener, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Notifications staged by one statement (far below PostgreSQL's 65,535 parameters).
const STAGED_PER_STATEMENT: usize = 1_000;

/// The PostgreSQL channel changes travel on.
const CHANNEL: &str = "inbox_action_changes";

/// The PostgreSQL channel presence (review leases) travels on.
const PRESENCE_CHANNEL: &str = "inbox_review_presence";

/// An action changed in a location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationChange {
    pub location_id: Uuid,
    pub change: ActionChanged,
}

/// Who is reviewing an action in a location changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationPresence {
    pub location_id: Uuid,
    pub presence: PresenceChanged,
}

/// What the bus carries to the streams.
#[derive(Debug, Clone, PartialEq)]
pub enum BusMessage {
    Change(LocationChange),
    /// Presence changes nothing computed from the data: no generation counts it.
    Presence(LocationPresence),
    /// Changes may have been missed (the database connection dropped): reload everything.
    Resync,
}

/// Announces committed action changes to whoever listens (the SSE streams).
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<BusMessage>,
    /// Changes arrive through PostgreSQL notifications rather than from this process.
    through_database: bool,
    generations: Generations,
}

/// How many changes of each location this process has announced (and how many times it had to
/// tell everyone to resync): what was computed from a location's data at one generation is
/// still true while the generation stays.
#[derive(Debug, Clone, Default)]
struct Generations(Arc<Mutex<(u64, HashMap<Uuid, u64>)>>);

impl Generations {
    fn bump(&self, message: &BusMessage) {
        match message {
            BusMessage::Change(change) => self.touch(change.location_id),
            BusMessage::Presence(_) => {}
            BusMessage::Resync => self.0.lock().unwrap_or_else(PoisonError::into_inner).0 += 1,
        }
    }

    /// One more change of `location_id`.
    fn touch(&self, location_id: Uuid) {
        let mut generations = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *generations.1.entry(location_id).or_default() += 1;
    }

    fn of(&self, location_id: Uuid) -> (u64, u64) {
        let generations = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (
            generations.0,
            generations.1.get(&location_id).copied().unwrap_or_default(),
        )
    }

    /// Counts `message`, then hands it to the streams.
    fn send(&self, sender: &broadcast::Sender<BusMessage>, message: BusMessage) {
        self.bump(&message);
        // No listener is not an error.
        let _ = sender.send(message);
    }
}

impl EventBus {
    /// A bus for `db`. On PostgreSQL it listens for every replica's changes before it returns,
    /// so nothing committed after this is missed.
    pub async fn for_database(db: &DatabaseConnection) -> Result<EventBus, sea_orm::sqlx::Error> {
        // A slow listener skips ahead rather than holding writers back; it is told to resync.
        let (sender, _) = broadcast::channel::<BusMessage>(1024);
        let through_database = db.get_database_backend() == DatabaseBackend::Postgres;
        let generations = Generations::default();
        if through_database {
            let pool = db.get_postgres_connection_pool().clone();
            let listener = listener(&pool).await?;
            tokio::spawn(forward(listener, pool, sender.clone(), generations.clone()));
        }
        Ok(EventBus {
            sender,
            through_database,
            generations,
        })
    }

    /// Stages `changes` in the transaction `txn` that makes them (PostgreSQL only): one
    /// statement however many, so a bulk decision does not pay a round trip per action.
    pub async fn stage<C: ConnectionTrait>(
        &self,
        txn: &C,
        changes: &[LocationChange],
    ) -> Result<(), DbErr> {
        if !self.through_database {
            return Ok(());
        }
        for chunk in changes.chunks(STAGED_PER_STATEMENT) {
            let mut values = vec![CHANNEL.into()];
            for change in chunk {
                let payload = serde_json::to_string(change)
                    .map_err(|error| DbErr::Custom(error.to_string()))?;
                values.push(payload.into());
            }
            let rows = (2..=values.len())
                .map(|n| format!("(${n})"))
                .collect::<Vec<_>>()
                .join(", ");
            txn.execute(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                format!("SELECT pg_notify($1, payload) FROM (VALUES {rows}) AS staged (payload)"),
                values,
            ))
            .await?;
        }
        Ok(())
    }

    /// Announces `change` once its transaction committed (when the database does not). Where
    /// the database does, this process still counts it at once: what it computed before must
    /// not be reused while the notification travels (its echo counts it again, harmlessly).
    pub fn committed(&self, change: LocationChange) {
        if self.through_database {
            self.generations.touch(change.location_id);
        } else {
            self.generations
                .send(&self.sender, BusMessage::Change(change));
        }
    }

    /// Tells every replica's streams that who is reviewing an action changed (after the lease's
    /// statement committed).
    pub async fn presence(
        &self,
        db: &DatabaseConnection,
        presence: LocationPresence,
    ) -> Result<(), DbErr> {
        if !self.through_database {
            self.generations
                .send(&self.sender, BusMessage::Presence(presence));
            return Ok(());
        }
        let payload =
            serde_json::to_string(&presence).map_err(|error| DbErr::Custom(error.to_string()))?;
        db.execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [PRESENCE_CHANNEL.into(), payload.into()],
        ))
        .await?;
        Ok(())
    }

    /// Counts a write of this process that the streams are not told of (a delivery attempt, an
    /// outcome reported), so that nothing computed before it is reused.
    pub fn touch(&self, location_id: Uuid) {
        self.generations.touch(location_id);
    }

    /// Where the location stands in the changes announced so far (see [`Generations`]).
    pub fn generation(&self, location_id: Uuid) -> (u64, u64) {
        self.generations.of(location_id)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusMessage> {
        self.sender.subscribe()
    }
}

async fn listener(pool: &sea_orm::sqlx::PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all([CHANNEL, PRESENCE_CHANNEL]).await?;
    Ok(listener)
}

/// Forwards PostgreSQL notifications to this process's streams, reconnecting after failures.
/// PostgreSQL keeps no notifications for a dropped listener, so a reconnect tells every stream
/// to resync.
async fn forward(
    mut listener: PgListener,
    pool: sea_orm::sqlx::PgPool,
    sender: broadcast::Sender<BusMessage>,
    generations: Generations,
) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                let message = if notification.channel() == PRESENCE_CHANNEL {
                    serde_json::from_str(notification.payload()).map(BusMessage::Presence)
                } else {
                    serde_json::from_str(notification.payload()).map(BusMessage::Change)
                };
                match message {
                    Ok(message) => generations.send(&sender, message),
                    Err(error) => tracing::warn!(?error, "unreadable notification"),
                }
            }
            // The connection dropped; the next call reconnects and listens again.
            Ok(None) => {
                tracing::warn!("change notifications interrupted; streams will resync");
                generations.send(&sender, BusMessage::Resync);
            }
            Err(error) => {
                tracing::warn!(?error, "change notifications interrupted; reconnecting");
                generations.send(&sender, BusMessage::Resync);
                listener = loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    match self::listener(&pool).await {
                        Ok(listener) => break listener,
                        Err(error) => tracing::warn!(?error, "cannot listen for changes yet"),
                    }
                };
                // What was computed while nobody listened may have missed changes.
                generations.send(&sender, BusMessage::Resync);
            }
        }
    }
}
