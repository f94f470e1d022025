//! The `inbox` command: every setting is a flag and an environment variable.

use std::{path::PathBuf, sync::Arc};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use inbox_domain::auth::{Role, Scope};

use crate::{
    clock::{Clock, SystemClock},
    db,
    db::locations::NewLocation,
    jobs::deliveries::Outbound,
    openapi, seed, services,
    startup::{Application, ServeSettings},
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
        /// With `--demo`: add a year of history until the location holds this many actions in
        /// all (benchmarks use 1000000); again, it adds nothing.
        #[arg(long, requires = "demo")]
        actions: Option<u64>,
    },
    /// Send the review digests and notices that are due now (for cron; `inbox serve` runs
    /// the same every `--notice-seconds`). Each period's digest and each action's notice goes
    /// once.
    Digest {
        /// The location whose reviewers are told.
        #[arg(long)]
        location: String,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Print the OpenAPI document (the same bytes as openapi/openapi.json).
    Openapi,
    /// Manage locations (tenants).
    Location {
        #[command(subcommand)]
        command: LocationCommand,
    },
    /// Manage API keys.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage reviewers and admins.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Make an API key; prints it once, alone on the last line.
    Create {
        /// The location the key belongs to.
        #[arg(long)]
        location: String,
        /// A scope: actions:propose, actions:read, actions:review, agents:admin (repeat for several).
        #[arg(long = "scope", required = true)]
        scopes: Vec<Scope>,
        /// Make it an agent's key (the agent's id): it then proposes only as that agent, and
        /// only such a key's proposals may auto-execute.
        #[arg(long)]
        agent: Option<uuid::Uuid>,
        /// What the key is for.
        #[arg(long, default_value = "command line")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a reviewer or admin; reads the password from standard input.
    Create {
        #[arg(long)]
        location: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// `reviewer` or `admin`.
        #[arg(long, default_value = "reviewer")]
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
enum LocationCommand {
    /// Add a location; prints its id.
    Create(NewLocation),
}

/// Where mail goes and where its links lead: `inbox serve` and `inbox digest`.
#[derive(Debug, clap::Args)]
struct MailArgs {
    /// Where email goes: `smtp://user:pass@host:587?tls=required`, `smtps://…`. Unset, every
    /// delivery stays in the built-in outbox (`GET /api/v1/deliveries`), and every reviewer's
    /// notice in theirs (`GET /api/v1/me/notices`).
    #[arg(long, env = "INBOX_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// A CA certificate (PEM file) to trust for the SMTP server besides the public ones: a relay
    /// whose certificate a private CA signed.
    #[arg(long, env = "INBOX_SMTP_CA_FILE")]
    smtp_ca_file: Option<std::path::PathBuf>,
    /// Where reviewers reach the app, e.g. `https://inbox.example.com`: the links in digests and
    /// notices lead there. Unset, `inbox serve` uses the address it listens on.
    #[arg(long, env = "INBOX_PUBLIC_URL")]
    public_url: Option<String>,
}

impl MailArgs {
    fn outbound(&self) -> anyhow::Result<Outbound> {
        let trusted_ca = self
            .smtp_ca_file
            .as_deref()
            .map(std::fs::read)
            .transpose()
            .context("INBOX_SMTP_CA_FILE cannot be read")?;
        Outbound::new(self.smtp_url.as_deref(), trusted_ca.as_deref())
    }
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "INBOX_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// The built web app to serve at `/`.
    #[arg(long, env = "INBOX_SPA_DIR", default_value = "target/spa")]
    spa_dir: PathBuf,
    /// Hours a reviewer stays signed in.
    #[arg(long, env = "INBOX_SESSION_HOURS", default_value_t = 12)]
    session_hours: u32,
    /// Proposals allowed per minute per API key.
    #[arg(long, env = "INBOX_PROPOSE_PER_MINUTE", default_value_t = 600)]
    propose_per_minute: u32,
    /// Sign-in attempts allowed per minute per email and per client address.
    #[arg(long, env = "INBOX_SIGN_IN_PER_MINUTE", default_value_t = 10)]
    sign_in_per_minute: u32,
    /// How many matches a filtered action list counts for its `total` before it stops and
    /// reports "at least this many" (`count=exact` counts them all).
    #[arg(long, env = "INBOX_COUNT_CAP", default_value_t = 1_000)]
    count_cap: u64,
    /// A web origin allowed to call the API from a browser, e.g. `https://crm.example.com`
    /// (repeat, or comma-separate in the variable). None by default.
    #[arg(
        long = "cors-origin",
        env = "INBOX_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "INBOX_WORKERS")]
    workers: Option<usize>,
    /// Seconds between sweeps that expire, wake and release actions.
    #[arg(long, env = "INBOX_SWEEP_SECONDS", default_value_t = 15)]
    sweep_seconds: u64,
    /// Seconds between runs that compose reviewers' due digests and notices and send them: an
    /// immediate email leaves within this.
    #[arg(long, env = "INBOX_NOTICE_SECONDS", default_value_t = 30)]
    notice_seconds: u64,
    #[command(flatten)]
    mail: MailArgs,
    /// The voice provider's webhook: approved calls are POSTed there as JSON, signed the
    /// Standard Webhooks way. Unset, calls stay in the built-in outbox.
    #[arg(
        long,
        env = "INBOX_VOICE_WEBHOOK_URL",
        requires = "voice_webhook_secret"
    )]
    voice_webhook_url: Option<String>,
    /// The key the voice webhook's payloads are signed with (`whsec_…` or any text).
    #[arg(long, env = "INBOX_VOICE_WEBHOOK_SECRET", hide_env_values = true)]
    voice_webhook_secret: Option<String>,
    /// Seconds an approved message waits before it leaves, so that it can be taken back.
    #[arg(long, env = "INBOX_UNDO_SECONDS", default_value_t = 10)]
    undo_seconds: u32,
    /// Milliseconds a token's owner is remembered, so a burst of requests costs one lookup; a key
    /// revoked on another replica stops working within this (0 looks up every request).
    #[arg(long, env = "INBOX_AUTH_CACHE_MS", default_value_t = 1000)]
    auth_cache_ms: u64,
    /// Milliseconds a list page or an action is reused while no change in its location was
    /// announced and no timer fired: what another replica writes past the event bus (a delivery
    /// attempt, an outcome) shows within this (0 computes every read).
    #[arg(long, env = "INBOX_READ_CACHE_MS", default_value_t = 1000)]
    read_cache_ms: u64,
    /// Where to serve the operators' Prometheus endpoint (`GET /metrics`: request counts and
    /// latencies, outbox depth, sweep lag, pool, event streams), e.g. `127.0.0.1:9464`. Keep it
    /// off the public address; unset, none is served.
    #[arg(long, env = "INBOX_METRICS_BIND")]
    metrics_bind: Option<String>,
    /// The address of a load balancer in front of the server (repeat, or comma-separate in the
    /// variable): from it, the client's address is read from `X-Forwarded-For`. From anyone
    /// else that header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "INBOX_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    match cli.command {
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(openapi::served_document())?
            );
        }
        Command::Migrate => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            println!("Migrations applied to {}.", db::redact(&cli.database_url));
        }
        Command::Seed { demo, actions } => {
            if !demo {
                bail!("nothing to seed: pass --demo");
            }
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let report = seed::demo(&db, SystemClock.now()).await?;
            println!("{report}");
            if let Some(total) = actions {
                let report = seed::history::top_up(&db, SystemClock.now(), total).await?;
                println!("{report}");
            }
        }
        Command::Digest { location, mail } => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let location = crate::db::locations::find_by_slug(&db, &location).await?;
            let public_url = mail
                .public_url
                .as_deref()
                .unwrap_or("http://127.0.0.1:8080")
                .trim_end_matches('/')
                .to_owned();
            let now = SystemClock.now();
            let told = services::notify::for_location(&db, &location, &public_url, now)
                .await
                .map_err(|error| {
                    anyhow::anyhow!(crate::error::ApiError::from(error).problem().detail)
                })?;
            let http = crate::jobs::webhooks::client();
            let sent = crate::jobs::notices::run_once(
                &db,
                &mail.outbound()?,
                &http,
                now,
                Some(location.id),
            )
            .await
            .map_err(|error| {
                anyhow::anyhow!(crate::error::ApiError::from(error).problem().detail)
            })?;
            println!(
                "`{}`: {} digest(s), {} notice email(s) and {} channel post(s) queued; {} sent, {} to retry, {} failed.",
                location.slug, told.digests, told.emails, told.channel_posts, sent.sent, sent.retrying, sent.failed
            );
        }
        Command::Location {
            command: LocationCommand::Create(new),
        } => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let location = crate::db::locations::create(&db, new, SystemClock.now()).await?;
            println!("Created location `{}`:", location.slug);
            println!("{}", location.id);
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    location,
                    scopes,
                    agent,
                    name,
                },
        } => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let location = crate::db::locations::find_by_slug(&db, &location).await?;
            let created = services::auth::create_api_key(
                &db,
                location.id,
                &name,
                &scopes,
                agent,
                SystemClock.now(),
            )
            .await
            .map_err(|error| {
                anyhow::anyhow!(crate::error::ApiError::from(error).problem().detail)
            })?;
            let scopes: Vec<&str> = created.key.scopes.iter().map(|s| s.as_str()).collect();
            println!(
                "API key {} for `{}` with {}:",
                created.key.id,
                location.slug,
                scopes.join(", ")
            );
            println!("{}", created.token);
        }
        Command::User {
            command:
                UserCommand::Create {
                    location,
                    email,
                    name,
                    role,
                },
        } => {
            let db = db::connect(&cli.database_url).await?;
            db::migrate(&db).await?;
            let location = crate::db::locations::find_by_slug(&db, &location).await?;
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let user = services::auth::create_user(
                &db,
                location.id,
                &email,
                &name,
                role,
                password.trim_end_matches(['\r', '\n']),
                SystemClock.now(),
            )
            .await
            .map_err(|error| {
                anyhow::anyhow!(crate::error::ApiError::from(error).problem().detail)
            })?;
            println!(
                "{} {} can sign in to `{}`.",
                role.label(),
                user.email,
                location.slug
            );
        }
        Command::Serve(args) => {
            // Migrations with SQLite's defaults: one may change far more pages than a request.
            let migrating = db::connect(&cli.database_url).await?;
            db::migrate(&migrating).await?;
            migrating.close().await?;
            let db = db::connect_for(&cli.database_url, db::Workload::Server).await?;
            let settings = ServeSettings {
                bind: args.bind,
                spa_dir: args.spa_dir,
                session_lifetime: chrono::Duration::hours(i64::from(args.session_hours.max(1))),
                propose_per_minute: args.propose_per_minute,
                sign_in_per_minute: args.sign_in_per_minute,
                count_cap: args.count_cap,
                cors_origins: args.cors_origins,
                // Proxies close idle connections after 30-60 s; every 15 s keeps streams open.
                keepalive: std::time::Duration::from_secs(15),
                workers: args.workers,
                sweep_interval: Some(std::time::Duration::from_secs(args.sweep_seconds.max(1))),
                notice_interval: std::time::Duration::from_secs(args.notice_seconds.max(1)),
                outbound: {
                    let outbound = args.mail.outbound()?;
                    match (&args.voice_webhook_url, &args.voice_webhook_secret) {
                        (Some(url), Some(secret)) => outbound.with_voice_webhook(url, secret)?,
                        _ => outbound,
                    }
                },
                undo_window: chrono::Duration::seconds(i64::from(args.undo_seconds)),
                auth_cache_ttl: Some(std::time::Duration::from_millis(args.auth_cache_ms)),
                read_cache_ttl: Some(std::time::Duration::from_millis(args.read_cache_ms)),
                metrics_bind: args.metrics_bind,
                trusted_proxies: args.trusted_proxies,
                public_url: args.mail.public_url.clone(),
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
            if let Some(port) = application.metrics_port() {
                println!("  Metrics:    http://{host}:{port}/metrics");
            }
            tracing::info!(database = %db::redact(&cli.database_url), %base, "serving");
            application.run_until(crate::shutdown::signal()).await?;
            tracing::info!("stopped");
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
