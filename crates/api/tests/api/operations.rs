//! What operators see: request ids in headers, problem bodies and logs; the Prometheus endpoint;
//! a database outage answered with 503 and Retry-After, and recovered from without a restart.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration as StdDuration, Instant},
};

use chrono::Duration;
use inbox_api::db;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    task::AbortHandle,
};

use crate::helpers::{
    app_with_proposal, backends, spawn_app, spawn_app_with, Backend, Fixture, TestApp, TestDatabase,
};

#[apply(backends)]
async fn every_answer_carries_a_request_id_that_its_problem_quotes(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let unauthenticated = app
        .client
        .get(app.url("/api/v1/actions"))
        .send()
        .await
        .expect("sent");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    let header = unauthenticated.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    assert_eq!(header.len(), 32, "a new id: {header}");
    let problem: Value = unauthenticated.json().await.expect("a problem");
    assert_eq!(problem["request_id"], header.as_str());

    // A proxy's id is kept; one that could forge a log line or a header is replaced.
    let forwarded = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "lb-7f3a.1")
        .send()
        .await
        .expect("sent");
    assert_eq!(forwarded.headers()["x-request-id"], "lb-7f3a.1");
    let forged = app
        .client
        .get(app.url("/healthz"))
        .header("X-Request-Id", "x status=200 forged")
        .send()
        .await
        .expect("sent");
    let replaced = forged.headers()["x-request-id"].to_str().expect("text");
    assert_eq!(replaced.len(), 32, "{replaced}");
}

/// The value of the series `name{labels}` in a scrape, if it is there.
fn series(scrape: &str, name_and_labels: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        (series == name_and_labels).then(|| value.parse().expect("a number"))
    })
}

async fn scrape(app: &TestApp) -> String {
    let address = app.metrics_address.as_deref().expect("a metrics address");
    let response = reqwest::get(address).await.expect("scraped");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("text")
        .starts_with("application/openmetrics-text"));
    response.text().await.expect("text")
}

#[apply(backends)]
async fn operators_scrape_requests_backlog_sweep_lag_pool_and_streams(#[case] backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.metrics_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let fixture = Fixture::new(&app).await;
    let before = scrape(&app).await;
    assert_eq!(series(&before, "inbox_outbox_depth"), Some(0.0));
    assert_eq!(series(&before, "inbox_event_streams"), Some(0.0));
    assert_eq!(series(&before, "inbox_sweep_lag_seconds"), Some(0.0));

    let (status, action) = app.propose(&crate::helpers::proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = crate::helpers::id_of(&action).to_owned();
    for _ in 0..3 {
        assert_eq!(app.get_action(&id).await.0, StatusCode::OK);
    }
    assert_eq!(app.list("status=nonsense").await.0, StatusCode::BAD_REQUEST);
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    // On a socket of its own, so that dropping it surely closes the connection.
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connected");
    let token = app.token().expect("a token");
    stream
        .write_all(
            format!("GET /api/v1/events HTTP/1.1\r\nHost: inbox\r\nAuthorization: Bearer {token}\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("asked");
    let mut head = [0_u8; 64];
    let read = stream.read(&mut head).await.expect("answered");
    assert!(head[..read].starts_with(b"HTTP/1.1 200"));

    let scraped = scrape(&app).await;
    let requests = |route: &str, method: &str, status: u16| {
        series(
            &scraped,
            &format!(
                "inbox_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(
        requests("/api/v1/actions/{id}", "GET", 200),
        Some(3.0),
        "{scraped}"
    );
    assert_eq!(requests("/api/v1/actions", "POST", 201), Some(1.0));
    assert_eq!(requests("/api/v1/actions", "GET", 400), Some(1.0));
    assert_eq!(
        series(
            &scraped,
            "inbox_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/actions/{id}\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        series(&scraped, "inbox_outbox_depth"),
        Some(1.0),
        "the approved message waits"
    );
    assert_eq!(series(&scraped, "inbox_event_streams"), Some(1.0));
    assert!(series(&scraped, "inbox_db_connections{state=\"idle\"}").is_some());
    assert!(series(&scraped, "inbox_db_connections{state=\"in_use\"}").is_some());

    // The undo window passes and nobody sends: the delivery is due and waits. A second action's
    // expiry passes without a sweep: the sweep lags.
    let (status, _) = app.propose(&crate::helpers::proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED);
    app.clock.advance(Duration::days(4));
    drop(stream);
    let later = scrape(&app).await;
    let waited = series(&later, "inbox_outbox_oldest_due_seconds").expect("a value");
    assert!(waited > 3.0 * 86_400.0, "{waited}");
    assert!(series(&later, "inbox_sweep_lag_seconds").expect("a value") > 0.0);
    assert_eq!(
        series(&later, "inbox_event_streams"),
        Some(0.0),
        "closed streams are not counted"
    );
    app.sweep().await;
    assert_eq!(
        series(&scrape(&app).await, "inbox_sweep_lag_seconds"),
        Some(0.0)
    );

    // The public address does not serve it.
    let public = reqwest::get(app.url("/metrics")).await.expect("sent");
    assert!(!public
        .text()
        .await
        .expect("text")
        .contains("inbox_http_requests_total"));
}

/// A TCP proxy to PostgreSQL that the test can cut and restore: while cut it drops every
/// connection through it and closes each new one at once, as a database that went away.
struct CuttableProxy {
    port: u16,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl CuttableProxy {
    async fn to(target: &'static str) -> CuttableProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let port = listener.local_addr().expect("address").port();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (up2, connections2) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                connections2.lock().expect("lock").push(task.abort_handle());
            }
        });
        CuttableProxy {
            port,
            up,
            connections,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_outage_is_a_quick_503_with_retry_after_and_heals_by_itself() {
    let (app, _fixture, id) = app_with_proposal(Backend::Postgres).await;
    let proxy = CuttableProxy::to("127.0.0.1:5432").await;
    let proxied_url = app
        .database_url()
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port))
        .replace("localhost:5432", &format!("127.0.0.1:{}", proxy.port));
    assert_ne!(
        proxied_url,
        app.database_url(),
        "the server goes through the proxy"
    );
    let proxied = db::connect(&proxied_url).await.expect("connected");
    let replica = app.spawn_replica_on(proxied, |_| {}).await;
    let token = app
        .key(_fixture.location.id, inbox_domain::auth::Scope::ALL, None)
        .await;
    let client = reqwest::Client::new();
    let get = |path: &str| {
        client
            .get(format!("{replica}{path}"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        get("/api/v1/actions").await.expect("sent").status(),
        StatusCode::OK
    );

    proxy.cut();
    let asked = Instant::now();
    let listed = get("/api/v1/actions").await.expect("sent");
    assert_eq!(listed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let failed_after = asked.elapsed();
    assert!(
        failed_after < StdDuration::from_secs(10),
        "failed fast, not hung"
    );
    assert_eq!(listed.headers()["retry-after"], "2");
    let problem: Value = listed.json().await.expect("a problem");
    assert_eq!(problem["type"], "urn:ai-inbox:problem:unavailable");
    let approved = client
        .post(format!("{replica}/api/v1/actions/{id}/approve"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(approved.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready = client
        .get(format!("{replica}/readyz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let why: Value = ready.json().await.expect("a problem");
    assert!(
        why["detail"]
            .as_str()
            .expect("detail")
            .contains("unreachable"),
        "{why}"
    );

    proxy.restore();
    let restored = Instant::now();
    loop {
        let ready = client
            .get(format!("{replica}/readyz"))
            .send()
            .await
            .expect("sent");
        if ready.status() == StatusCode::OK {
            break;
        }
        assert!(
            restored.elapsed() < StdDuration::from_secs(5),
            "ready again within 5 s"
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    // Figures for docs/reliability.md (`--nocapture`).
    println!(
        "outage: 503 after {} ms; ready again {} ms after the database returned",
        failed_after.as_millis(),
        restored.elapsed().as_millis()
    );
    let (status, action) = app.get_action(&id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        action["status"], "pending",
        "the refused approval changed nothing"
    );
    assert_eq!(
        get("/api/v1/actions").await.expect("sent").status(),
        StatusCode::OK
    );
}

/// A SQLite file another process holds locked: a write waits out the busy timeout, then fails
/// with 503 and Retry-After, changes nothing, and works again once the lock is gone.
#[tokio::test]
async fn a_locked_sqlite_file_is_a_503_that_changes_nothing() {
    use sea_orm::Database;
    let (app, _fixture, id) = app_with_proposal(Backend::Sqlite).await;
    // Another connection, outside the server's pool, takes the write lock and keeps it.
    let other = Database::connect(app.database_url())
        .await
        .expect("a second connection");
    let mut holder = other
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .expect("a connection");
    sea_orm::sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .expect("locked");

    let (status, problem) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["type"], "urn:ai-inbox:problem:unavailable");

    sea_orm::sqlx::query("ROLLBACK")
        .execute(&mut *holder)
        .await
        .expect("unlocked");
    drop(holder);
    let (_, detail) = app.get_action(&id).await;
    assert_eq!(
        detail["status"], "pending",
        "the refused approval changed nothing"
    );
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "works again once the lock is gone");
    other.close().await.expect("closed");
}

/// The server's SQLite commits only append to the write-ahead log, keeping the pages they
/// change in memory until then; `db::checkpoint`, the server's task, copies the log into the
/// database file. With SQLite's defaults the commit below would have copied it itself.
#[tokio::test]
async fn a_sqlite_server_copies_its_log_into_the_database_on_a_task_of_its_own() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let database = TestDatabase::create(Backend::Sqlite).await;
    let db = db::connect_for(database.url(), db::Workload::Server)
        .await
        .expect("connected");
    for (pragma, server_value) in [("wal_autocheckpoint", 0), ("cache_spill", 0)] {
        let row = db
            .query_one(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA {pragma}"),
            ))
            .await
            .expect("read")
            .expect("a row");
        assert_eq!(
            row.try_get_by_index::<i64>(0).expect("a number"),
            server_value,
            "{pragma}"
        );
    }
    // About 2,000 pages in one commit: past the 1,000 at which SQLite would copy the log.
    db.execute_unprepared(
        "CREATE TABLE filler (bytes BLOB); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO filler SELECT randomblob(4000) FROM n",
    )
    .await
    .expect("written");
    let file = database.sqlite_file().expect("a SQLite file");
    let size = || std::fs::metadata(&file).expect("the database file").len();
    assert!(size() < 1 << 20, "{} bytes before the checkpoint", size());
    let log = db::checkpoint(&db).await.expect("checkpointed");
    assert!(size() > 4 << 20, "{} bytes after the checkpoint", size());
    // The log's pages it reports say whether anything was written since the last pass (the
    // task then gives the memory that write freed back to the system).
    assert!(log >= 2000, "{log} pages in the log");
    let same = db::checkpoint(&db).await.expect("checkpointed");
    assert_eq!(same, log, "nothing written in between");
    db.execute_unprepared("INSERT INTO filler VALUES (randomblob(10))")
        .await
        .expect("written");
    let after_write = db::checkpoint(&db).await.expect("checkpointed");
    assert_ne!(after_write, log, "a write in between");
}
