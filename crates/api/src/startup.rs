//! Building the HTTP server. [`Application::build`] binds first, so a test can ask for port 0
//! and read the real port before any request is made.

use std::{net::TcpListener, path::PathBuf, sync::Arc, time::Instant};

use actix_cors::Cors;
use actix_files::{Files, NamedFile};
use actix_web::{
    body::MessageBody,
    dev::{fn_service, Server, ServiceFactory, ServiceRequest, ServiceResponse},
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
    openapi::with_documented_routes,
    query,
    rate_limit::RateLimiter,
    read_cache::ReadCache,
    state::AppState,
};

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
    /// Where deliveries go.
    pub outbound: Outbound,
    /// How long an approved message waits before it leaves, so that it can be taken back.
    pub undo_window: chrono::Duration,
    /// How long who a token belongs to is remembered; `None` looks it up on every request.
    pub auth_cache_ttl: Option<std::time::Duration>,
    /// How long a list page or an action is reused while no change was announced; `None`
    /// computes every read.
    pub read_cache_ttl: Option<std::time::Duration>,
}

/// How long a stopping server lets requests in flight finish.
const SHUTDOWN_SECONDS: u64 = 3;

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    bus: EventBus,
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
        if let Some(interval) = settings.sweep_interval {
            jobs::spawn_all(&db, &bus, &settings.outbound, &clock, interval);
        }
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
        });
        let spa_dir = settings.spa_dir.clone();
        let cors_origins = settings.cors_origins.clone();
        let mut server =
            HttpServer::new(move || app(state.clone(), spa_dir.clone(), &cors_origins));
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        // Event streams never end by themselves: on shutdown, finish what is in flight and close
        // them after a few seconds rather than actix's thirty.
        let server = server
            .shutdown_timeout(SHUTDOWN_SECONDS)
            .listen(listener)?
            .run();
        Ok(Application { port, server, bus })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bus the server announces changes on (tests sweep with it).
    pub fn bus(&self) -> EventBus {
        self.bus.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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
        .wrap(from_fn(log_request))
        .into_utoipa_app();
    with_documented_routes(app)
        .openapi_service(|mut document| {
            crate::openapi::complete(&mut document);
            SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", document)
        })
        .into_app()
        .service(web::redirect("/docs", "/docs/"))
        .service(spa(spa_dir))
}

/// The SPA's files, with `index.html` for every other path so client-side routes survive a
/// reload. Without a build, a page that says how to make one.
fn spa(dir: PathBuf) -> actix_web::Scope {
    let index = dir.join("index.html");
    if !index.is_file() {
        return web::scope("").default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(
                    "<!doctype html><title>AI Inbox</title><h1>AI Inbox</h1>\
                 <p>The web app is not built. Run <code>just run</code>, or serve with \
                 <code>--spa-dir</code> pointing at a build. The API is at \
                 <a href=\"/docs/\">/docs/</a>.</p>",
                )
        }));
    }
    web::scope("").service(
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

/// One structured log line per request. The query string is left out: it may carry secrets.
async fn log_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let response = next.call(request).await?;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}
