//! The data layer: the only place a query is written, reads and writes alike. Every query that
//! takes a location filters by it. Also connecting to the database and keeping its schema current.

pub mod actions;
pub mod agents;
pub mod auth;
pub mod bulk_load;
pub mod customers;
pub mod deliveries;
pub mod entities;
pub mod follow_up;
pub mod idempotency;
pub mod insert_rows;
pub mod insights;
pub mod leases;
pub mod locations;
pub mod metrics;
pub mod notices;
pub mod outbox;
pub mod rate_windows;
pub mod safeguards;
pub mod webhooks;

use std::{path::Path, time::Duration};

use anyhow::Context;
use inbox_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    TransactionTrait,
};

/// What the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing with that id in the caller's location.
    #[error("{0}")]
    NotFound(String),
    #[error("database error")]
    Db(#[from] DbErr),
    /// A stored value that the domain does not accept: a bug or a hand-edited row.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// Parses a stored JSON column back into its domain type.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// Folds text for case- and accent-insensitive substring search: "Zoë Müller" → "zoe muller".
pub fn search_key(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|part| deunicode::deunicode(part).to_lowercase())
        .collect::<Vec<_>>()
        .join(" \u{1f} ")
}

/// Connections of a SQLite file's pool: readers in parallel (two cores, and requests that wait
/// on the one writer).
const SQLITE_CONNECTIONS: u32 = 8;

/// What a pool of connections is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// A one-off command (`seed`, `token`, `migrate`…), with SQLite's defaults: the commit that
    /// takes the write-ahead log past 1,000 pages copies it into the database (a checkpoint, with
    /// two fsyncs), and a transaction whose changed pages fill the page cache spills them to
    /// the log.
    Command,
    /// The server. On SQLite a request's commit only appends to the write-ahead log: the copy
    /// into the database is the server's `checkpoint` task, every second ([`checkpoint`]). And a
    /// transaction keeps the pages it changed in memory until it commits (`cache_spill` off),
    /// instead of writing pages it changes again to the log more than once; a server's largest
    /// transaction changes 500 actions. A bulk approval of 500 at 1M actions went from about
    /// 1.3 s to 0.2 s.
    Server,
}

/// Connects to `url` (`sqlite://…` or `postgres://…`) for a one-off command
/// ([`Workload::Command`]).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_for(url, Workload::Command).await
}

/// Connects to `url` (`sqlite://…` or `postgres://…`). For a SQLite file it first creates the
/// file's folder, which SQLite itself will not do.
pub async fn connect_for(url: &str, workload: Workload) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_file(url) {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    // While the database is down a request fails within seconds (a 503 with Retry-After)
    // rather than hanging; the pool reconnects by itself once it is back.
    options
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3))
        // Every statement at trace level (`RUST_LOG=sqlx=trace`); one slower than a quarter of a
        // second as a warning, with its SQL: the sign of a plan gone wrong.
        .sqlx_logging(true)
        .sqlx_logging_level(tracing::log::LevelFilter::Trace)
        .sqlx_slow_statements_logging_settings(
            tracing::log::LevelFilter::Warn,
            Duration::from_millis(250),
        );
    if sqlite_file(url).is_some() {
        // SeaORM's default is one connection, so every request would queue behind the last.
        // Several connections read side by side under WAL while one writes; a writer waits
        // for another (busy_timeout, then a 503) rather than failing at once; NORMAL sync is safe
        // under WAL.
        options
            .max_connections(SQLITE_CONNECTIONS)
            .map_sqlx_sqlite_opts(move |sqlite| {
                let sqlite = sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5));
                match workload {
                    Workload::Command => sqlite,
                    Workload::Server => sqlite
                        .pragma("wal_autocheckpoint", "0")
                        .pragma("cache_spill", "false"),
                }
            });
    }
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

/// Copies what a SQLite file's write-ahead log holds into the database, as far as no reader
/// still needs it, without waiting for anyone (a passive checkpoint); nothing on PostgreSQL.
/// Returns how many pages the log holds (0 on PostgreSQL): a change of it says something was
/// written since.
pub async fn checkpoint(db: &DatabaseConnection) -> Result<i64, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(0);
    }
    // One row: whether it could not finish, the log's pages, the pages copied.
    let report = db
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await?;
    match report {
        Some(report) => report.try_get_by_index(1),
        None => Ok(0),
    }
}

/// Copies all of a SQLite file's write-ahead log into the database and empties the log's file,
/// waiting for readers and writers to finish (after a load); nothing on PostgreSQL, whose own
/// checkpointer does this.
pub async fn truncate_log(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(())
}

/// How the pool's connections are used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub idle: u32,
    pub in_use: u32,
}

/// The pool's connections now, idle and in use.
pub fn pool_usage(db: &DatabaseConnection) -> PoolUsage {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::MySql => (0, 0),
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    PoolUsage {
        idle,
        in_use: size - idle,
    }
}

/// Whether `error` says the database cannot be reached or cannot take work right now (a lost
/// connection, an exhausted pool, a server shutting down, a locked or full SQLite file), rather
/// than that a statement is wrong: the request may succeed if tried again shortly.
pub fn is_outage(error: &DbErr) -> bool {
    use sea_orm::{sqlx, RuntimeErr};
    let sqlx_error = match error {
        // No connection could be had, whatever the reason given.
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)) => {
            error
        }
        _ => return false,
    };
    match sqlx_error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database) => database.code().is_some_and(|code| {
            if code.len() == 5 {
                // PostgreSQL's SQLSTATE: a connection exception (class 08), too many
                // connections, shutting down, cannot connect now.
                code.starts_with("08") || matches!(&*code, "53300" | "57P01" | "57P02" | "57P03")
            } else {
                // SQLite's (extended) result code: busy, locked, I/O error, disk full.
                code.parse::<i32>()
                    .is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 13))
            }
        }),
        _ => false,
    }
}

/// The PostgreSQL advisory lock that migrations run under (any number unique to this app).
const MIGRATION_LOCK: i64 = 0x1b0c_5eed;

/// Applies every pending migration. On PostgreSQL, replicas that start together take turns: each
/// holds an advisory lock (for as long as a transaction on one of the pool's connections lasts)
/// while it migrates, and the later ones find nothing left to do.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let turn = if db.get_database_backend() == DbBackend::Postgres {
        let turn = db.begin().await?;
        turn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await
            .context("waiting for the migration lock")?;
        Some(turn)
    } else {
        None
    };
    Migrator::up(db, None)
        .await
        .context("applying migrations")?;
    if let Some(turn) = turn {
        turn.commit().await?;
    }
    Ok(())
}

/// Whether the schema is current.
pub async fn is_migrated(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The URL with any password replaced, for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact("postgres://inbox:s3cret@db:5432/inbox"),
            "postgres://inbox:***@db:5432/inbox"
        );
        assert_eq!(
            redact("sqlite://inbox.db?mode=rwc"),
            "sqlite://inbox.db?mode=rwc"
        );
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite://data/inbox.db?mode=rwc"),
            Some("data/inbox.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/test"), None);
    }

    #[test]
    fn search_keys_fold_case_and_accents() {
        let key = search_key(&[Some("Zoë Müller"), Some("Café Olé GmbH")]);
        assert!(key.contains("zoe muller"));
        assert!(key.contains("cafe ole gmbh"));
        assert!(!key.contains("muller cafe"), "name and company stay apart");
    }
}
