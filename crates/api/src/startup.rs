//! Building the HTTP server. [`Application::build`] binds first, so a test can ask for port 0
//! and read the real port before any request is made.

use std::{future::Future, net::TcpListener, path::PathBuf, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_files::{Files, NamedFile};
use actix_web::{
    body::MessageBody,
    dev::{fn_service, Server, ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{from_fn, DefaultHeaders, Next},
    web, App, HttpResponse, HttpServer,
};
use sea_orm::DatabaseConnection;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    auth_cache::AuthCache,
    bus::EventBus,
    clock::Clock,
    jobs::{self, deliveries::Outbound},
    json::MAX_BODY_BYTES,
    live_metrics::LiveMetrics,
    observe::observe_request,
    openapi::with_documented_routes,
    ops_metrics::OpsMetrics,
    query,
    rate_limit::RateLimiter,
    read_cache::ReadCache,
    shutdown::StopSignal,
    state::AppState,
};
use tokio::task::JoinHandle;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// `host:port`; port 0 picks a free one.
    pub bind: String,
    /// The built SPA (`index.html` and its assets).
    pub spa_dir: PathBuf,
    /// How long a reviewer stays signed in.
    pub session_lifetime: chrono::Duration,
    /// Proposals allowed per minute per API key.
    pub propose_per_minute: u32,
    /// Sign-in attempts allowed per minute per email, and per client address.
    pub sign_in_per_minute: u32,
    /// How many matches a filtered action list counts before it reports "at least this many".
    pub count_cap: u64,
    /// Web origins allowed to call the API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// How often an idle event stream sends a keepalive and re-checks its caller.
    pub keepalive: std::time::Duration,
    /// HTTP worker threads; `None` for one per core.
    pub workers: Option<usize>,
    /// How often the timer sweep runs; `None` runs neither it nor the delivery worker (tests
    /// sweep and deliver by hand).
    pub sweep_interval: Option<std::time::Duration>,
    /// How often reviewers' notices are composed and sent (with the sweep: not in tests that
    /// sweep by hand).
    pub notice_interval: std::time::Duration,
    /// Where deliveries go.
    pub outbound: Outbound,
    /// How long an approved message waits before it leaves, so that it can be taken back.
    pub undo_window: chrono::Duration,
    /// How long who a token belongs to is remembered; `None` looks it up on every request.
    pub auth_cache_ttl: Option<std::time::Duration>,
    /// How long a list page or an action is reused while no change was announced; `None`
    /// computes every read.
    pub read_cache_ttl: Option<std::time::Duration>,
    /// Load balancers whose `X-Forwarded-For` names the client (for the per-address limits).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `host:port` of the operators' Prometheus endpoint (`GET /metrics`), kept off the public
    /// address; `None` serves none.
    pub metrics_bind: Option<String>,
    /// Where reviewers reach the app (`https://inbox.example.com`), for the links in notices;
    /// `None` for the address it is served on.
    pub public_url: Option<String>,
}

/// How long a stopping server lets requests in flight finish, and then its background work.
const SHUTDOWN_SECONDS: u64 = 5;

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    bus: EventBus,
    /// The operators' endpoint and its port, when one is served.
    ops: Option<(Server, u16)>,
    stop: StopSignal,
    jobs: Vec<JoinHandle<()>>,
}

impl Application {
    pub async fn build(
        settings: &ServeSettings,
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let bus = EventBus::for_database(&db).await?;
        let (stop, stopping) = StopSignal::new();
        let public_url = match &settings.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = match settings.bind.rsplit_once(':') {
                    // Listening everywhere: this machine is one place it is reached.
                    Some(("0.0.0.0" | "[::]", _)) | None => "127.0.0.1",
                    Some((host, _)) => host,
                };
                format!("http://{host}:{port}")
            }
        };
        let jobs = match settings.sweep_interval {
            Some(interval) => jobs::spawn_all(
                &db,
                &bus,
                &settings.outbound,
                &clock,
                (interval, settings.notice_interval, &public_url),
                &stopping,
            ),
            None => Vec::new(),
        };
        let state = web::Data::new(AppState {
            db,
            clock,
            bus: bus.clone(),
            session_lifetime: settings.session_lifetime,
            propose_limiter: RateLimiter::new("propose", settings.propose_per_minute),
            sign_in_limiter: RateLimiter::new("sign_in", settings.sign_in_per_minute),
            count_cap: settings.count_cap,
            keepalive: settings.keepalive,
            undo_window: settings.undo_window,
            auth_cache: AuthCache::new(settings.auth_cache_ttl),
            live_metrics: LiveMetrics::default(),
            read_cache: ReadCache::new(settings.read_cache_ttl),
            ops_metrics: OpsMetrics::default(),
            stopping,
            trusted_proxies: settings.trusted_proxies.clone(),
            public_url,
        });
        let ops = settings
            .metrics_bind
            .as_deref()
            .map(|bind| ops_server(bind, state.clone()))
            .transpose()?;
        let spa_dir = settings.spa_dir.clone();
        let cors_origins = settings.cors_origins.clone();
        let mut server =
            HttpServer::new(move || app(state.clone(), spa_dir.clone(), &cors_origins));
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        // Stopping is ours (see `run_until`), so that event streams and jobs end with it.
        let server = server
            .disable_signals()
            .shutdown_timeout(SHUTDOWN_SECONDS)
            .listen(listener)?
            .run();
        Ok(Application {
            port,
            server,
            bus,
            ops,
            stop,
            jobs,
        })
    }

    /// The port of the operators' metrics endpoint, when one is served.
    pub fn metrics_port(&self) -> Option<u16> {
        self.ops.as_ref().map(|(_, port)| *port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bus the server announces changes on (tests sweep with it).
    pub fn bus(&self) -> EventBus {
        self.bus.clone()
    }

    /// Serves until the process is stopped from outside.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `stop` resolves, then stops gracefully: no new connections; event streams
    /// end; requests in flight finish (for up to five seconds); the background jobs finish the
    /// pass they are in and hand back what they claimed but did not send.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let handles: Vec<ServerHandle> = std::iter::once(self.server.handle())
            .chain(self.ops.iter().map(|(server, _)| server.handle()))
            .collect();
        let signal = self.stop;
        let stopper = tokio::spawn(async move {
            stop.await;
            tracing::info!("stopping: finishing requests in flight");
            signal.stop();
            for handle in handles {
                handle.stop(true).await;
            }
        });
        let served = match self.ops {
            Some((ops, _)) => futures_util::future::try_join(self.server, ops)
                .await
                .map(|_| ()),
            None => self.server.await,
        };
        stopper.abort();
        let jobs = futures_util::future::join_all(self.jobs);
        if tokio::time::timeout(Duration::from_secs(SHUTDOWN_SECONDS), jobs)
            .await
            .is_err()
        {
            tracing::warn!("background jobs did not finish in time");
        }
        served
    }
}

/// The operators' server: `GET /metrics` in the OpenMetrics text format, on one worker.
fn ops_server(bind: &str, state: web::Data<AppState>) -> anyhow::Result<(Server, u16)> {
    let listener = TcpListener::bind(bind)?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    Ok((server, port))
}

async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    match state.ops_metrics.render(&state.db, state.clock.now()).await {
        Ok(text) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(text),
        Err(error) => {
            tracing::warn!(?error, "metrics could not be read");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("metrics unavailable: the database did not answer")
        }
    }
}

fn app(
    state: web::Data<AppState>,
    spa_dir: PathBuf,
    cors_origins: &[String],
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let app = App::new()
        .app_data(state)
        .app_data(web::PathConfig::default().error_handler(query::path_error))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .wrap(from_fn(crate::auth::authenticate_first))
        .wrap(cors(cors_origins))
        .wrap(from_fn(content_security_policy))
        .wrap(security_headers())
        .wrap(from_fn(observe_request))
        .into_utoipa_app();
    with_documented_routes(app)
        .openapi_service(|_| {
            SwaggerUi::new("/docs/{_:.*}").external_url_unchecked(
                "/api-docs/openapi.json",
                crate::openapi::served_document().clone(),
            )
        })
        .into_app()
        // The probes answer GET only; any other method is a 405, not the web app.
        .service(
            web::resource(["/healthz", "/readyz"])
                .default_service(web::to(crate::openapi::api_route_not_found)),
        )
        .service(web::redirect("/docs", "/docs/"))
        .service(crate::routes::decision_links::open_link)
        .service(crate::routes::decision_links::use_link)
        .service(spa(spa_dir))
}

/// The SPA's files, with `index.html` for every other path so client-side routes survive a
/// reload. Without a build, a page that says how to make one.
fn spa(
    dir: PathBuf,
) -> actix_web::Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let index = dir.join("index.html");
    let files = if index.is_file() {
        web::scope("")
            // A build's code, `pkg/<hash>/`: a file it does not have is a 404, not the app.
            .service(Files::new("/pkg", dir.join("pkg")))
            .service(
                Files::new("/", dir)
                    .index_file("index.html")
                    .default_handler(fn_service(move |request: ServiceRequest| {
                        let index = index.clone();
                        async move {
                            let (request, _) = request.into_parts();
                            let file = NamedFile::open_async(index).await?;
                            let response = file.into_response(&request);
                            Ok(ServiceResponse::new(request, response))
                        }
                    })),
            )
    } else {
        web::scope("").default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(
                    "<!doctype html><title>AI Inbox</title><h1>AI Inbox</h1>\
                 <p>The web app is not built. Run <code>just run</code>, or serve with \
                 <code>--spa-dir</code> pointing at a build. The API is at \
                 <a href=\"/docs/\">/docs/</a>.</p>",
                )
        }))
    };
    files.wrap(from_fn(spa_caching))
}

/// How long a browser may keep a file of the web app. A build's code lives under
/// `/pkg/<hash of its content>/` and never changes there, so it is kept for good without asking
/// again. Everything else (`index.html` and `boot.js`, which name the build, a page for a
/// client-side route) is asked after each time, so a reload finds a new build. A 404 is not
/// kept either: another replica behind the same address may already serve that build.
async fn spa_caching(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let of_a_build = request.path().starts_with("/pkg/");
    let mut response = next.call(request).await?;
    let policy = if of_a_build && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static(policy),
    );
    Ok(response)
}

/// Cross-origin access for the configured origins only. Other origins get no CORS headers, so
/// browsers keep them out, while same-origin requests (the SPA) are unaffected.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(
            Cors::default().block_on_origin_mismatch(false),
            |cors, origin| cors.allowed_origin(origin),
        )
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "idempotency-key",
            "if-match",
        ])
        .expose_headers(["retry-after", "idempotent-replayed"])
        .max_age(600)
}

/// Headers that stop the browser from sniffing content types, framing the app or leaking URLs.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// The app runs only its own code: no inline scripts, no other origins. Swagger UI, which
/// inlines its configuration, is left out.
async fn content_security_policy(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
        style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
        form-action 'self'; frame-ancestors 'none'";
    let is_docs = request.path().starts_with("/docs");
    let mut response = next.call(request).await?;
    if !is_docs {
        response.headers_mut().insert(
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            actix_web::http::header::HeaderValue::from_static(POLICY),
        );
    }
    Ok(response)
}
