use std::{
    collections::BTreeMap,
    fmt::Display,
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use chrono::{DateTime, Duration, Utc};
use inbox_api::{
    bus::EventBus,
    clock::ManualClock,
    db::{
        self,
        actions::{counts::CountChanges, NewAction},
        entities::*,
    },
    jobs::deliveries::Outbound,
    startup::{Application, ServeSettings},
};
use inbox_domain::{
    auth::{CreatedApiKey, Scope},
    dto::{ProposeAction, Trigger},
    review::{initial_lifecycle, validate_proposal},
    ActionType, Channel, ConfidenceFactor, CustomerType, Priority,
};
use reqwest::StatusCode;
use rstest_reuse::template;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel,
};
use serde_json::{json, Value};
use uuid::Uuid;

/// The store a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the test once on each backend.
#[template]
#[rstest::rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
pub fn backends(#[case] backend: Backend) {}

/// A fixed start time, so tests read the same way every day.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
        .expect("valid time")
        .to_utc()
}

/// A running server with its own database and clock.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub clock: ManualClock,
    pub bus: EventBus,
    /// The bearer token the request helpers send, once a test has one.
    token: std::sync::Mutex<Option<String>>,
    /// How many statements the server (and the test) sent to the database so far.
    pub queries: Arc<AtomicUsize>,
    /// The statements themselves, in order.
    pub statements: Arc<std::sync::Mutex<Vec<sea_orm::Statement>>>,
    /// The operators' Prometheus endpoint, when the settings asked for one.
    pub metrics_address: Option<String>,
    _database: TestDatabase,
}

impl TestApp {
    /// The URL of this test's own database, for a second connection pool.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// The database's file, for a SQLite one.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self._database.sqlite_file()
    }

    pub fn now(&self) -> DateTime<Utc> {
        use inbox_api::clock::Clock;
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The token the request helpers send, if any.
    pub fn token(&self) -> Option<String> {
        self.token.lock().expect("token lock").clone()
    }

    /// From now on, the request helpers authenticate with `token`.
    pub fn use_token(&self, token: &str) {
        *self.token.lock().expect("token lock") = Some(token.to_owned());
    }

    /// A request to `path`, with the current token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match self.token.lock().expect("token lock").as_deref() {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// A new API key named `name` of `location_id` with `scopes`, made in the store.
    async fn create_key(
        &self,
        location_id: Uuid,
        name: &str,
        scopes: &[Scope],
        agent_id: Option<Uuid>,
    ) -> CreatedApiKey {
        inbox_api::services::auth::create_api_key(
            &self.db,
            location_id,
            name,
            scopes,
            agent_id,
            self.now(),
        )
        .await
        .expect("key created")
    }

    /// A new API key of `location_id` with `scopes`: its token.
    pub async fn key(&self, location_id: Uuid, scopes: &[Scope], agent_id: Option<Uuid>) -> String {
        self.create_key(location_id, "test", scopes, agent_id)
            .await
            .token
    }

    /// A new API key named `name` of `location_id` with every scope: its token and the actor id
    /// (`key:<id>`) its changes are recorded under.
    pub async fn named_key(&self, location_id: Uuid, name: &str) -> (String, String) {
        let created = self.create_key(location_id, name, Scope::ALL, None).await;
        (created.token, format!("key:{}", created.key.id))
    }

    /// A new API key named `name` of `location_id` with `scopes`: its id.
    pub async fn key_id(&self, location_id: Uuid, name: &str, scopes: &[Scope]) -> Uuid {
        self.create_key(location_id, name, scopes, None)
            .await
            .key
            .id
    }

    /// Stores `row` directly, past the API; returns it.
    pub async fn insert<M, A>(&self, row: M) -> M
    where
        M: IntoActiveModel<A> + Clone,
        A: ActiveModelTrait,
    {
        <A::Entity as EntityTrait>::insert(row.clone().into_active_model())
            .exec(&self.db)
            .await
            .expect("row inserted");
        row
    }

    /// GETs `path` and returns the status and the JSON body.
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let body = response.json::<Value>().await.expect("a JSON body");
        (status, body)
    }

    /// Sends `body` as JSON with `method` and returns the status and the JSON body.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let response = self
            .request(method, path)
            .json(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send_json(reqwest::Method::PATCH, path, body).await
    }

    /// Proposes `body` as a new action.
    pub async fn propose(&self, body: &Value) -> (StatusCode, Value) {
        self.post_json("/api/v1/actions", body).await
    }

    /// POSTs `body` to the action's `verb` endpoint (`approve`, `reject`, `snooze`, `preview`,
    /// `outcome`, `responses`).
    pub async fn review(&self, id: impl Display, verb: &str, body: Value) -> (StatusCode, Value) {
        self.post_json(&format!("/api/v1/actions/{id}/{verb}"), &body)
            .await
    }

    /// PATCHes the action's draft with `body`.
    pub async fn edit(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.patch_json(&format!("/api/v1/actions/{id}"), &body)
            .await
    }

    /// GETs the action's detail.
    pub async fn get_action(&self, id: impl Display) -> (StatusCode, Value) {
        self.get_json(&format!("/api/v1/actions/{id}")).await
    }

    /// GETs the action list with `query` (`""` for none).
    pub async fn list(&self, query: &str) -> (StatusCode, Value) {
        if query.is_empty() {
            self.get_json("/api/v1/actions").await
        } else {
            self.get_json(&format!("/api/v1/actions?{query}")).await
        }
    }

    /// Starts a second server (a replica) on the same database and clock; returns its address.
    pub async fn spawn_replica(&self) -> String {
        self.spawn_replica_with(|_| {}).await
    }

    /// Like [`TestApp::spawn_replica`], with settings changed by `tune`.
    pub async fn spawn_replica_with(&self, tune: impl FnOnce(&mut ServeSettings)) -> String {
        self.spawn_replica_on(self.db.clone(), tune).await
    }

    /// A second server on this test's clock that reaches the database through `db` (say, a
    /// pool connected through a proxy the test can cut).
    pub async fn spawn_replica_on(
        &self,
        db: DatabaseConnection,
        tune: impl FnOnce(&mut ServeSettings),
    ) -> String {
        let mut settings = test_settings();
        tune(&mut settings);
        let replica = Application::build(&settings, db, Arc::new(self.clock.clone()))
            .await
            .expect("replica built");
        let address = format!("http://127.0.0.1:{}", replica.port());
        tokio::spawn(replica.run_until_stopped());
        address
    }

    /// Runs the timer sweep at the clock's time, as the server's schedule would.
    pub async fn sweep(&self) -> inbox_api::jobs::SweepReport {
        inbox_api::jobs::run_once(&self.db, &self.bus, self.now())
            .await
            .expect("sweep ran")
    }

    /// GETs `path`, expecting a problem+json error with `status`; returns the problem.
    pub async fn get_problem(&self, path: &str, status: StatusCode) -> Value {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), status, "GET {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "GET {path} answers with problem+json"
        );
        let problem = response.json::<Value>().await.expect("a JSON body");
        assert_eq!(problem["status"], status.as_u16());
        assert!(problem["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:ai-inbox:problem:")));
        assert!(problem["title"].is_string() && problem["detail"].is_string());
        problem
    }
}

/// How long an approved message waits in tests before it may leave.
pub const UNDO_WINDOW: Duration = Duration::seconds(10);

/// The settings of a test server: a free port, no SPA, no scheduled sweep or delivery.
fn test_settings() -> ServeSettings {
    ServeSettings {
        bind: "127.0.0.1:0".into(),
        spa_dir: PathBuf::from("/nonexistent"),
        workers: Some(1),
        sweep_interval: None,
        session_lifetime: Duration::hours(12),
        propose_per_minute: 1000,
        sign_in_per_minute: 5,
        count_cap: 1_000,
        cors_origins: Vec::new(),
        keepalive: std::time::Duration::from_millis(100),
        outbound: Outbound::default(),
        undo_window: UNDO_WINDOW,
        // Off: tests change the store under the server and expect every request to see it.
        auth_cache_ttl: None,
        // Off for the same reason; tests/api/read_cache.rs turns it on.
        read_cache_ttl: None,
        metrics_bind: None,
        trusted_proxies: Vec::new(),
        public_url: None,
        notice_interval: std::time::Duration::from_secs(30),
    }
}

/// Starts the server on a free port against a fresh, migrated database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with settings changed by `tune`.
pub async fn spawn_app_with(backend: Backend, tune: impl FnOnce(&mut ServeSettings)) -> TestApp {
    let database = TestDatabase::create(backend).await;
    // Connected as `inbox serve` connects. Its checkpoint task is one of the jobs a test server
    // does not start (`sweep_interval: None`): a test's write-ahead log stays small.
    let mut db = db::connect_for(&database.url, db::Workload::Server)
        .await
        .expect("connected");
    db::migrate(&db).await.expect("migrated");
    let queries = Arc::new(AtomicUsize::new(0));
    let statements = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (counted, sent) = (queries.clone(), statements.clone());
    db.set_metric_callback(move |info| {
        counted.fetch_add(1, Ordering::Relaxed);
        sent.lock()
            .expect("not poisoned")
            .push(info.statement.clone());
    });
    let clock = ManualClock::new(start_time());
    let mut settings = test_settings();
    tune(&mut settings);
    let application = Application::build(&settings, db.clone(), Arc::new(clock.clone()))
        .await
        .expect("server built");
    let address = format!("http://127.0.0.1:{}", application.port());
    let metrics_address = application
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}/metrics"));
    let bus = application.bus();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        metrics_address,
        address,
        client: reqwest::Client::new(),
        db,
        clock,
        bus,
        token: std::sync::Mutex::new(None),
        queries,
        statements,
        _database: database,
    }
}

/// A database that exists for one test: a SQLite file in a temporary folder, or a PostgreSQL
/// database (on `TEST_DATABASE_URL`'s server) that is dropped afterwards.
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(tempfile::TempDir),
    PostgresDatabase { admin_url: String, name: String },
}

/// The name of a test's SQLite file in its temporary folder.
const SQLITE_FILE: &str = "inbox.db";

fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestDatabase {
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's file, for a SQLite one.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match &self.cleanup {
            Cleanup::Folder(dir) => Some(dir.path().join(SQLITE_FILE)),
            Cleanup::PostgresDatabase { .. } => None,
        }
    }

    /// A new, empty database.
    pub async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join(SQLITE_FILE).display()
                );
                TestDatabase {
                    url,
                    cleanup: Cleanup::Folder(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("inbox_test_{}", Uuid::now_v7().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("PostgreSQL reachable at TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("test database created");
                admin.close().await.ok();
                let (server, _) = admin_url
                    .rsplit_once('/')
                    .expect("URL with a database name");
                TestDatabase {
                    url: format!("{server}/{name}"),
                    cleanup: Cleanup::PostgresDatabase { admin_url, name },
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::PostgresDatabase { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let admin = sea_orm::Database::connect(&admin_url).await?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await?;
                    admin.close().await
                })?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop test database");
            }
        }
    }
}

/// Rows a test needs, made directly in the store: the `demo` location, one customer, one agent,
/// and actions with exactly the state the test describes.
pub struct Fixture {
    pub location: locations::Model,
    pub customer: customers::Model,
    pub agent: agents::Model,
}

/// The password [`Fixture::reviewer`] gives.
pub const REVIEWER_PASSWORD: &str = "correct horse battery staple";

impl Fixture {
    /// A reviewer of the fixture's location who signs in as `email` with
    /// [`REVIEWER_PASSWORD`].
    pub async fn reviewer(&self, app: &TestApp, email: &str) {
        inbox_api::services::auth::create_user(
            &app.db,
            self.location.id,
            email,
            "Sam",
            inbox_domain::auth::Role::Reviewer,
            REVIEWER_PASSWORD,
            app.now(),
        )
        .await
        .expect("user");
    }

    pub async fn new(app: &TestApp) -> Fixture {
        let created = app.now() - Duration::days(30);
        let location = locations::Model {
            id: Uuid::now_v7(),
            slug: "demo".into(),
            name: "Fixture Space".into(),
            sending_address: "hello@fixture.example".into(),
            signature: "The Fixture team".into(),
            time_zone: "Europe/London".into(),
            business_hours: json!({}),
            created_at: created,
            contact_cap_messages: None,
            contact_cap_days: None,
            review_confidence_floor: None,
            audit_share: None,
            slack_webhook_url: None,
        };
        let customer = customers::Model {
            id: Uuid::now_v7(),
            location_id: location.id,
            full_name: "Zoë Müller".into(),
            company: Some("Café Olé GmbH".into()),
            customer_type: CustomerType::Member,
            email: Some("zoe@cafe-ole.example".into()),
            phone: Some("+44 7700 900123".into()),
            plan: Some("Hot Desk Monthly".into()),
            photo_url: None,
            search_key: inbox_api::db::search_key(&[Some("Zoë Müller"), Some("Café Olé GmbH")]),
            created_at: created,
        };
        let agent = agents::Model {
            id: Uuid::now_v7(),
            location_id: location.id,
            slug: "due_invoice_reminders".into(),
            name: "Due Invoice Reminders".into(),
            description: "Reminds members of overdue invoices.".into(),
            enabled: true,
            auto_execute: json!([]),
            auto_execute_min_confidence: 90,
            default_expiry_seconds: 72 * 3600,
            created_at: created,
            updated_at: created,
            autonomy_paused: None,
        };
        let location = app.insert(location).await;
        let customer = app.insert(customer).await;
        let agent = app.insert(agent).await;
        app.use_token(&app.key(location.id, Scope::ALL, None).await);
        Fixture {
            location,
            customer,
            agent,
        }
    }

    /// A pending email action created at `created_at`, changed by `shape`, then stored.
    pub async fn action(
        &self,
        app: &TestApp,
        created_at: DateTime<Utc>,
        shape: impl FnOnce(&mut actions::Model),
    ) -> actions::Model {
        let proposal = validate_proposal(&ProposeAction {
            customer_id: self.customer.id,
            agent_id: Some(self.agent.id),
            action_type: ActionType::DraftMessage,
            channel: Some(Channel::Email),
            subject: Some("Payment reminder: Invoice #{{invoice_number}}".into()),
            body: Some("<p>Hi {{first_name}}</p>".into()),
            script: None,
            tone: None,
            estimated_duration_seconds: None,
            confidence: 87,
            confidence_factors: vec![ConfidenceFactor {
                label: "Strong payment history".into(),
                impact: 12,
            }],
            priority: Priority::High,
            trigger: Trigger {
                summary: "Invoice #1234 is 5 days overdue.".into(),
                data: json!({"invoice_number": "1234"}),
            },
            variables: BTreeMap::from([("invoice_number".into(), "1234".into())]),
            expires_at: None,
            not_before: None,
            external_id: None,
            precondition_url: None,
        })
        .expect("a valid proposal");
        let expires_at = created_at + Duration::days(3);
        let mut action = NewAction {
            id: Uuid::now_v7(),
            location_id: self.location.id,
            agent: &self.agent,
            customer: &self.customer,
            proposal: &proposal,
            lifecycle: initial_lifecycle(created_at, expires_at, None, false).expect("timing"),
            not_before: None,
            proposed_at: created_at,
            by_agent_key: false,
        }
        .into_row();
        shape(&mut action);
        let action = app.insert(action).await;
        // Kept as the API keeps it, so segment sizes read true.
        CountChanges::of_new([&action])
            .write(&app.db)
            .await
            .expect("counts kept");
        action
    }

    /// Pending actions created `minutes_ago` each, in that order.
    pub async fn actions_minutes_ago(
        &self,
        app: &TestApp,
        minutes_ago: impl IntoIterator<Item = i64>,
    ) -> Vec<actions::Model> {
        let mut made = Vec::new();
        for minutes in minutes_ago {
            made.push(
                self.action(app, app.now() - Duration::minutes(minutes), |_| {})
                    .await,
            );
        }
        made
    }
}

/// The ids of `items`, in order.
pub fn item_ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The ids of a list page's items.
pub fn ids(page: &Value) -> Vec<String> {
    item_ids(page["items"].as_array().expect("items"))
}

/// An action's id, from its JSON.
pub fn id_of(action: &Value) -> &str {
    action["id"].as_str().expect("id")
}

/// Every page of `path` (which holds a query but no cursor), following `next_cursor`: the
/// items in order.
pub async fn every_page(app: &TestApp, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}&cursor={cursor}"),
            None => path.to_owned(),
        };
        let (status, page) = app.get_json(&url).await;
        assert_eq!(status, 200, "GET {url}: {page}");
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// The fields a problem's `errors` name, in order.
pub fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["field"].as_str())
        .collect()
}

/// Asserts that `answer` has `status` and that its problem's first field error names `field`;
/// returns the problem.
#[track_caller]
pub fn assert_field_error(answer: (StatusCode, Value), status: StatusCode, field: &str) -> Value {
    let (actual, problem) = answer;
    assert_eq!(actual, status, "{problem}");
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    problem
}

/// Opens the fixture's location Monday to Friday, 09:00 to 18:00 London time, and sets the
/// clock to Saturday 2026-11-28 at noon; returns when it next opens, Monday at nine.
pub async fn closed_for_the_weekend(app: &TestApp, fixture: &Fixture) -> DateTime<Utc> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let mut location = fixture.location.clone().into_active_model();
    location.business_hours = Set(json!({
        "mon": ["09:00", "18:00"], "tue": ["09:00", "18:00"], "wed": ["09:00", "18:00"],
        "thu": ["09:00", "18:00"], "fri": ["09:00", "18:00"]
    }));
    let _: locations::Model = location.update(&app.db).await.expect("hours set");
    let at = |text: &str| DateTime::parse_from_rfc3339(text).expect("a time").to_utc();
    app.clock.set(at("2026-11-28T12:00:00Z"));
    at("2026-11-30T09:00:00Z")
}

/// A valid call proposal for the fixture's customer and agent: a script with variables, a
/// friendly tone, a minute and a half.
pub fn call_proposal(fixture: &Fixture) -> Value {
    let mut call = proposal(fixture);
    for (field, value) in [
        ("action_type", json!("voice_outreach")),
        ("channel", json!("voice")),
        ("subject", json!(null)),
        ("body", json!(null)),
        (
            "script",
            json!("Hi {{first_name}}, about invoice {{invoice_number}}."),
        ),
        ("tone", json!("friendly")),
        ("estimated_duration_seconds", json!(90)),
    ] {
        call[field] = value;
    }
    call
}

/// A valid proposal body for the fixture's customer and agent.
pub fn proposal(fixture: &Fixture) -> Value {
    json!({
        "customer_id": fixture.customer.id,
        "agent_id": fixture.agent.id,
        "action_type": "draft_message",
        "channel": "email",
        "subject": "Payment reminder: Invoice #{{invoice_number}}",
        "body": "<p>Hi {{first_name}},</p><p>Invoice #{{invoice_number}} is overdue.</p>",
        "confidence": 87,
        "confidence_factors": [{"label": "Strong payment history", "impact": 14}],
        "priority": "high",
        "trigger": {"summary": "Invoice #1234 is 5 days overdue.", "data": {"invoice_number": "1234"}},
        "variables": {"invoice_number": "1234"}
    })
}

/// Starts the server, makes the [`Fixture`] and proposes one action through the API; returns
/// them with the action's id.
pub async fn app_with_proposal(backend: Backend) -> (TestApp, Fixture, String) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (status, action) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = id_of(&action).to_owned();
    (app, fixture, id)
}

/// The server failed between committing a request and storing its response: only the mark that
/// it committed is left.
pub async fn lose_stored_responses(app: &TestApp) {
    idempotency_keys::Entity::update_many()
        .set(idempotency_keys::ActiveModel {
            response_status: Set(None),
            response_body: Set(None),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .expect("responses lost");
}

/// How many actions the store holds.
pub async fn action_count(app: &TestApp) -> u64 {
    use sea_orm::PaginatorTrait;
    actions::Entity::find()
        .count(&app.db)
        .await
        .expect("counted")
}

/// The events of an action, oldest first, as `kind`s.
pub async fn event_kinds(app: &TestApp, id: &str) -> Vec<String> {
    let (_, detail) = app.get_action(id).await;
    detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|event| event["kind"].as_str().expect("kind").to_owned())
        .collect()
}

/// Another customer of the fixture's location; its id.
pub async fn other_customer(app: &TestApp, fixture: &Fixture) -> Uuid {
    let customer = customers::Model {
        id: Uuid::now_v7(),
        full_name: "Ola Nordmann".into(),
        search_key: db::search_key(&[Some("Ola Nordmann")]),
        ..fixture.customer.clone()
    };
    app.insert(customer).await.id
}

/// A second location with its own customer, agent and action: nothing of it may show through.
pub async fn other_location(app: &TestApp, fixture: &Fixture) -> (Fixture, Uuid) {
    let location = locations::Model {
        id: Uuid::now_v7(),
        slug: "elsewhere".into(),
        ..fixture.location.clone()
    };
    let location = app.insert(location).await;
    let customer = customers::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        ..fixture.customer.clone()
    };
    let agent = agents::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        ..fixture.agent.clone()
    };
    let other = Fixture {
        customer: app.insert(customer).await,
        agent: app.insert(agent).await,
        location,
    };
    let action = other.action(app, app.now(), |_| {}).await;
    (other, action.id)
}

/// A SQLite database in `dir` seeded by the real binary's `inbox seed --demo`: its URL, and
/// what the seed printed.
pub fn seeded_demo_database(dir: &std::path::Path) -> (String, String) {
    let database = format!("sqlite://{}?mode=rwc", dir.join("inbox.db").display());
    let seeded = std::process::Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(["seed", "--demo"])
        .env("DATABASE_URL", &database)
        .output()
        .expect("seed ran");
    assert!(seeded.status.success(), "{seeded:?}");
    (database, String::from_utf8(seeded.stdout).expect("utf-8"))
}
