//! The `inbox` command: every setting is a flag and an environment variable.

use std::{path::PathBuf, sync::Arc};

use anyhow::bail;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::{
    clock::{Clock, SystemClock},
    db, openapi, seed,
    startup::{Application, ServeSettings},
    store::locations::NewLocation,
};

/// AI Inbox: the review queue for actions that proactive AI agents propose.
#[derive(Debug, Parser)]
#[command(name = "inbox", version)]
pub struct Cli {
    /// The store: `sqlite://FILE?mode=rwc` (embedded) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://inbox.db?mode=rwc",
        global = true,
        hide_env_values = true
    )]
    database_url: String,

    /// Log lines as JSON instead of text.
    #[arg(long, env = "INBOX_LOG_JSON", global = true)]
    log_json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations, then serve the API, Swagger UI (/docs/) and the web app (/).
    Serve(ServeArgs),
    /// Apply migrations and exit.
    Migrate,
    /// Fill the store with data.
    Seed {
        /// Create the `demo` location with customers, agents and actions (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Print the OpenAPI document (the same bytes as openapi/openapi.json).
    Openapi,
    /// Manage locations (tenants).
    Location {
        #[command(subcommand)]
        command: LocationCommand,
    },
}

#[derive(Debug, Subcommand)]
enum LocationCommand {
    /// Add a location; prints its id.
    Create(NewLocation),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "INBOX_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// The built web app to serve at `/`.
    #[arg(long, env = "INBOX_SPA_DIR", default_value = "target/spa")]
    spa_dir: PathBuf,
    /// The location that requests act for.
    #[arg(long, env = "INBOX_LOCATION", default_value = "demo")]
    location: String,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "INBOX_WORKERS")]
    workers: Option<usize>,
    /// Seconds between sweeps that expire, wake and release actions.
    #[arg(long, env = "INBOX_SWEEP_SECONDS", default_value_t = 15)]
    sweep_seconds: u64,
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    match cli.command {
        Command::Openapi => {
            println!("{}", openapi::document().to_pretty_json()?);
        }
        Command::Migrate => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            println!("Migrations applied to {}.", db::redact(&cli.database_url));
        }
        Command::Seed { demo } => {
            if !demo {
                bail!("nothing to seed: pass --demo");
            }
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let report = seed::demo(&db, SystemClock.now()).await?;
            println!("{report}");
        }
        Command::Location {
            command: LocationCommand::Create(new),
        } => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let location = crate::store::locations::create(&db, new, SystemClock.now()).await?;
            println!("Created location `{}`:", location.slug);
            println!("{}", location.id);
        }
        Command::Serve(args) => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let settings = ServeSettings {
                bind: args.bind,
                spa_dir: args.spa_dir,
                location_slug: args.location,
                workers: args.workers,
                sweep_interval: Some(std::time::Duration::from_secs(args.sweep_seconds.max(1))),
            };
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let application = Application::build(&settings, db, clock).await?;
            let host = settings
                .bind
                .rsplit_once(':')
                .map_or("127.0.0.1", |(host, _)| host);
            let base = format!("http://{host}:{}", application.port());
            // Scripts read this line to find the port.
            println!("listening on {base}");
            println!("  AI Inbox:   {base}/");
            println!("  Swagger UI: {base}/docs/");
            tracing::info!(database = %db::redact(&cli.database_url), %base, "serving");
            application.run_until_stopped().await?;
        }
    }
    Ok(())
}

fn init_tracing(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
