use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use inbox_api::{
    clock::ManualClock,
    db::{self, entities::*},
    services::bus::EventBus,
    startup::{Application, ServeSettings},
};
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::template;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel};
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
    _database: TestDatabase,
}

impl TestApp {
    pub fn now(&self) -> DateTime<Utc> {
        use inbox_api::clock::Clock;
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
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

    /// A new API key of `location_id` with `scopes`.
    pub async fn key(&self, location_id: Uuid, scopes: &[Scope], agent_id: Option<Uuid>) -> String {
        inbox_api::services::auth::create_api_key(
            &self.db,
            location_id,
            "test",
            scopes,
            agent_id,
            self.now(),
        )
        .await
        .expect("key created")
        .token
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

    /// Starts a second server (a replica) on the same database and clock; returns its address.
    pub async fn spawn_replica(&self) -> String {
        let settings = ServeSettings {
            bind: "127.0.0.1:0".into(),
            spa_dir: PathBuf::from("/nonexistent"),
            workers: Some(1),
            sweep_interval: None,
            session_lifetime: Duration::hours(12),
            propose_per_minute: 1000,
            sign_in_per_minute: 5,
            cors_origins: Vec::new(),
            keepalive: std::time::Duration::from_millis(100),
        };
        let replica = Application::build(&settings, self.db.clone(), Arc::new(self.clock.clone()))
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

/// Starts the server on a free port against a fresh, migrated database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with settings changed by `tune`.
pub async fn spawn_app_with(backend: Backend, tune: impl FnOnce(&mut ServeSettings)) -> TestApp {
    let database = TestDatabase::create(backend).await;
    let db = db::connect(&database.url).await.expect("connected");
    db::migrate(&db).await.expect("migrated");
    let clock = ManualClock::new(start_time());
    let mut settings = ServeSettings {
        bind: "127.0.0.1:0".into(),
        spa_dir: PathBuf::from("/nonexistent"),
        workers: Some(1),
        sweep_interval: None,
        session_lifetime: Duration::hours(12),
        propose_per_minute: 1000,
        sign_in_per_minute: 5,
        cors_origins: Vec::new(),
        keepalive: std::time::Duration::from_millis(100),
    };
    tune(&mut settings);
    let application = Application::build(&settings, db.clone(), Arc::new(clock.clone()))
        .await
        .expect("server built");
    let address = format!("http://127.0.0.1:{}", application.port());
    let bus = application.bus();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        clock,
        bus,
        token: std::sync::Mutex::new(None),
        _database: database,
    }
}

/// A database that exists for one test: a SQLite file in a temporary folder, or a PostgreSQL
/// database (on `TEST_DATABASE_URL`'s server) that is dropped afterwards.
struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(#[allow(dead_code)] tempfile::TempDir),
    PostgresDatabase { admin_url: String, name: String },
}

fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestDatabase {
    async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary folder");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("inbox.db").display()
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

impl Fixture {
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
        };
        let customer = customers::Model {
            id: Uuid::now_v7(),
            location_id: location.id,
            full_name: "Zoë Müller".into(),
            company: Some("Café Olé GmbH".into()),
            customer_type: "member".into(),
            email: Some("zoe@cafe-ole.example".into()),
            phone: Some("+44 7700 900123".into()),
            plan: Some("Hot Desk Monthly".into()),
            photo_url: None,
            search_key: inbox_api::store::search_key(&[Some("Zoë Müller"), Some("Café Olé GmbH")]),
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
        };
        locations::Entity::insert(sea_orm::IntoActiveModel::into_active_model(
            location.clone(),
        ))
        .exec(&app.db)
        .await
        .expect("location inserted");
        customers::Entity::insert(sea_orm::IntoActiveModel::into_active_model(
            customer.clone(),
        ))
        .exec(&app.db)
        .await
        .expect("customer inserted");
        agents::Entity::insert(sea_orm::IntoActiveModel::into_active_model(agent.clone()))
            .exec(&app.db)
            .await
            .expect("agent inserted");
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
        let mut action = actions::Model {
            id: Uuid::now_v7(),
            location_id: self.location.id,
            agent_id: self.agent.id,
            customer_id: self.customer.id,
            external_id: None,
            action_type: "draft_message".into(),
            channel: Some("email".into()),
            headline: "Payment reminder: Invoice #{{invoice_number}}".into(),
            subject: Some("Payment reminder: Invoice #{{invoice_number}}".into()),
            body: Some("<p>Hi {{first_name}}</p>".into()),
            script: None,
            tone: None,
            estimated_duration_seconds: None,
            confidence: 87,
            confidence_factors: json!([{"label": "Strong payment history", "impact": 12}]),
            priority: "high".into(),
            trigger_summary: "Invoice #1234 is 5 days overdue.".into(),
            trigger_data: json!({"invoice_number": "1234"}),
            variables: json!(BTreeMap::from([("invoice_number", "1234")])),
            status: "pending".into(),
            version: 1,
            created_at,
            updated_at: created_at,
            expires_at: created_at + Duration::days(3),
            not_before: None,
            snoozed_until: None,
            snooze_note: None,
            deferred_until: None,
            approved_awaiting_send: false,
            first_reviewed_at: None,
            review_time_seconds: None,
            approved_at: None,
            approved_by: None,
            rejected_at: None,
            rejected_by: None,
            rejection_reason: None,
            rejection_note: None,
            expired_at: None,
            auto_executed_at: None,
        };
        shape(&mut action);
        actions::Entity::insert(sea_orm::IntoActiveModel::into_active_model(action.clone()))
            .exec(&app.db)
            .await
            .expect("action inserted");
        action
    }
}

/// The ids of a list page's items.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
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
    let (_, detail) = app.get_json(&format!("/api/v1/actions/{id}")).await;
    detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|event| event["kind"].as_str().expect("kind").to_owned())
        .collect()
}

/// A second location with its own customer, agent and action: nothing of it may show through.
pub async fn other_location(app: &TestApp, fixture: &Fixture) -> (Fixture, Uuid) {
    let location = locations::Model {
        id: Uuid::now_v7(),
        slug: "elsewhere".into(),
        ..fixture.location.clone()
    };
    locations::Entity::insert(location.clone().into_active_model())
        .exec(&app.db)
        .await
        .expect("location");
    let customer = customers::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        ..fixture.customer.clone()
    };
    customers::Entity::insert(customer.clone().into_active_model())
        .exec(&app.db)
        .await
        .expect("customer");
    let agent = agents::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        ..fixture.agent.clone()
    };
    agents::Entity::insert(agent.clone().into_active_model())
        .exec(&app.db)
        .await
        .expect("agent");
    let other = Fixture {
        location,
        customer,
        agent,
    };
    let action = other.action(app, app.now(), |_| {}).await;
    (other, action.id)
}
