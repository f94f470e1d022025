use chrono::Duration;
use inbox_api::{db::entities::agents, startup::ServeSettings};
use inbox_domain::auth::Scope;
use inbox_domain::ActionStatus;
use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    action_count, backends, error_fields, other_location, proposal, spawn_app, spawn_app_with,
    Backend, Fixture, TestApp, REVIEWER_PASSWORD,
};

async fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    body: &Value,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if !body.is_null() {
        request = request.json(body);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    let is_stream = response
        .headers()
        .get("content-type")
        .is_some_and(|t| t == "text/event-stream");
    let body = if is_stream {
        Value::Null
    } else {
        response.json().await.unwrap_or(Value::Null)
    };
    (status, body)
}

/// GETs `path` with `token`.
async fn get_as(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    call(app, &Method::GET, path, &Value::Null, Some(token)).await
}

/// Proposes `body` with `token`.
async fn propose_as(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    call(app, &Method::POST, "/api/v1/actions", body, Some(token)).await
}

/// Every endpoint × (no token, bad token, a key without the scope, another location's object,
/// the right caller).
#[apply(backends)]
async fn every_endpoint_checks_who_is_calling(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (other, foreign_action) = other_location(&app, &fixture).await;
    let foreign_key_id = app
        .key_id(other.location.id, "theirs", &[Scope::ActionsRead])
        .await;
    // A webhook endpoint and a failed delivery in each location, for the endpoints that take
    // their ids.
    let endpoint_of = |location: Uuid| {
        let app = &app;
        async move {
            let admin = app.key(location, &[Scope::AgentsAdmin], None).await;
            let (status, endpoint) = call(
                app,
                &Method::POST,
                "/api/v1/webhooks",
                &json!({"url": "http://127.0.0.1:9/hook", "events": ["action.decided"]}),
                Some(&admin),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{endpoint}");
            endpoint["id"].as_str().expect("an id").to_owned()
        }
    };
    let (own_endpoint, foreign_endpoint) = (
        endpoint_of(fixture.location.id).await,
        endpoint_of(other.location.id).await,
    );
    let failed_delivery_of = |action: Uuid| {
        let app = &app;
        async move {
            let action = inbox_api::db::entities::actions::Entity::find_by_id(action)
                .one(&app.db)
                .await
                .expect("read")
                .expect("the action");
            let mut delivery = inbox_api::db::deliveries::new_row(
                &action,
                inbox_api::db::deliveries::Message::default(),
                app.now(),
                app.now(),
            );
            delivery.state = inbox_domain::delivery::DeliveryState::Failed;
            delivery.attempts = 1;
            app.insert(delivery).await.id
        }
    };

    let endpoints: Vec<(Method, &str, Value, Scope, StatusCode)> = vec![
        (
            Method::GET,
            "/api/v1/actions",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/actions",
            proposal(&fixture),
            Scope::ActionsPropose,
            StatusCode::CREATED,
        ),
        (
            Method::GET,
            "/api/v1/actions/{pending}",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            "/api/v1/actions/{pending}",
            json!({"expected_version": 1, "subject": "Edited"}),
            Scope::ActionsReview,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/actions/{pending}/preview",
            json!({}),
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/actions/{pending}/approve",
            json!({}),
            Scope::ActionsReview,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/actions/{pending}/reject",
            json!({"reason": "poor_timing"}),
            Scope::ActionsReview,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/actions/{pending}/snooze",
            json!({"duration": "1h"}),
            Scope::ActionsReview,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/actions/bulk",
            json!({"op": "approve", "ids": ["{pending}"]}),
            Scope::ActionsReview,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/actions/{sent}/outcome",
            json!({"kind": "payment_made", "occurred_at": app.now()}),
            Scope::ActionsPropose,
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            "/api/v1/actions/{sent}/responses",
            json!({"conversation_id": "c1", "excerpt": "Thanks", "received_at": app.now()}),
            Scope::ActionsPropose,
            StatusCode::CREATED,
        ),
        (
            Method::GET,
            "/api/v1/agents",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/agents/{agent}",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            "/api/v1/agents/{agent}",
            json!({"enabled": true}),
            Scope::AgentsAdmin,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/customers/{customer}",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/metrics",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/deliveries",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/events",
            Value::Null,
            Scope::ActionsRead,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/api-keys",
            Value::Null,
            Scope::AgentsAdmin,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/api-keys",
            json!({"name": "new", "scopes": ["agents:admin"]}),
            Scope::AgentsAdmin,
            StatusCode::CREATED,
        ),
        (
            Method::DELETE,
            "/api/v1/api-keys/{key}",
            Value::Null,
            Scope::AgentsAdmin,
            StatusCode::OK,
        ),
        // An approved action with no message waiting to be taken back: the caller may ask,
        // and is told there is nothing to undo.
        (
            Method::POST,
            "/api/v1/actions/{sent}/undo",
            Value::Null,
            Scope::ActionsReview,
            StatusCode::CONFLICT,
        ),
        (
            Method::POST,
            "/api/v1/deliveries/{delivery}/retry",
            Value::Null,
            Scope::ActionsReview,
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/v1/webhooks",
            Value::Null,
            Scope::AgentsAdmin,
            StatusCode::OK,
        ),
        (
            Method::POST,
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/other", "events": ["action.sent"]}),
            Scope::AgentsAdmin,
            StatusCode::CREATED,
        ),
        (
            Method::GET,
            "/api/v1/webhooks/{webhook}/deliveries",
            Value::Null,
            Scope::AgentsAdmin,
            StatusCode::OK,
        ),
        (
            Method::DELETE,
            "/api/v1/webhooks/{webhook}",
            Value::Null,
            Scope::AgentsAdmin,
            StatusCode::NO_CONTENT,
        ),
    ];

    for (method, template, body, scope, ok) in endpoints {
        let pending = fixture.action(&app, app.now(), |_| {}).await.id;
        let sent = fixture
            .action(&app, app.now(), |a| a.status = ActionStatus::Approved)
            .await
            .id;
        let own_key = app
            .key_id(fixture.location.id, "victim", &[Scope::ActionsRead])
            .await;
        let (own_delivery, foreign_delivery) = if template.contains("{delivery}") {
            (
                failed_delivery_of(sent).await,
                failed_delivery_of(foreign_action).await,
            )
        } else {
            (Uuid::nil(), Uuid::nil())
        };
        let fill = |text: &str, foreign: bool| {
            let pick = |own: Uuid, theirs: Uuid| if foreign { theirs } else { own }.to_string();
            let endpoint = if foreign {
                &foreign_endpoint
            } else {
                &own_endpoint
            };
            text.replace("{pending}", &pick(pending, foreign_action))
                .replace("{webhook}", endpoint)
                .replace("{delivery}", &pick(own_delivery, foreign_delivery))
                .replace("{sent}", &pick(sent, foreign_action))
                .replace("{agent}", &pick(fixture.agent.id, other.agent.id))
                .replace("{customer}", &pick(fixture.customer.id, other.customer.id))
                .replace("{key}", &pick(own_key, foreign_key_id))
        };
        let path = fill(template, false);
        let body_for = |foreign: bool| {
            serde_json::from_str::<Value>(&fill(&body.to_string(), foreign)).expect("json")
        };
        let label = format!("{method} {template}");

        let (status, problem) = call(&app, &method, &path, &body_for(false), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label} without a token");
        assert_eq!(problem["type"], "urn:ai-inbox:problem:unauthorized");
        let (status, _) = call(
            &app,
            &method,
            &path,
            &body_for(false),
            Some("inbox_key_not-a-real-key"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{label} with a bad token");

        let others: Vec<Scope> = Scope::ALL.iter().copied().filter(|s| *s != scope).collect();
        let without = app.key(fixture.location.id, &others, None).await;
        let (status, problem) = call(&app, &method, &path, &body_for(false), Some(&without)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{label} without `{scope}`");
        assert_eq!(problem["type"], "urn:ai-inbox:problem:forbidden");

        let right = app.key(fixture.location.id, &[scope], None).await;
        if template.contains('{') || template == "/api/v1/actions/bulk" {
            let (status, body) = call(
                &app,
                &method,
                &fill(template, true),
                &body_for(true),
                Some(&right),
            )
            .await;
            if template == "/api/v1/actions/bulk" {
                assert_eq!(
                    body["results"][0]["error"]["status"], 404,
                    "{label}: another location's id"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{label} on another location's object: {body}"
                );
            }
        }
        let (status, body) = call(&app, &method, &path, &body_for(false), Some(&right)).await;
        assert_eq!(status, ok, "{label} as the right caller: {body}");
        if template == "/api/v1/actions" && method == Method::GET {
            assert!(
                !body.to_string().contains(&foreign_action.to_string()),
                "lists hold only the caller's location"
            );
        }
    }

    // Proposing for another location's customer or agent finds nothing there.
    let proposer = app
        .key(fixture.location.id, &[Scope::ActionsPropose], None)
        .await;
    let mut foreign = proposal(&fixture);
    foreign["customer_id"] = json!(other.customer.id);
    foreign["agent_id"] = json!(other.agent.id);
    let (status, problem) = propose_as(&app, &proposer, &foreign).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&problem), ["agent_id", "customer_id"]);
    let reader = app
        .key(fixture.location.id, &[Scope::ActionsRead], None)
        .await;
    let (_, metrics) = get_as(&app, &reader, "/api/v1/metrics").await;
    assert!(metrics["by_agent"]
        .as_array()
        .expect("agents")
        .iter()
        .all(|a| a["agent"]["id"] != json!(other.agent.id)));
}

fn session_cookie(response: &reqwest::Response) -> String {
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find(|h| h.starts_with("inbox_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(header.contains("HttpOnly"), "{header}");
    assert!(header.contains("SameSite=Strict"), "{header}");
    header.split(';').next().expect("name=value").to_owned()
}

#[apply(backends)]
async fn reviewers_sign_in_with_a_cookie_that_needs_its_csrf_token_to_change_anything(
    #[case] backend: Backend,
) {
    // With the server remembering sessions for a minute: signing out and expiry still win.
    let app = spawn_app_with(backend, |settings| {
        settings.auth_cache_ttl = Some(std::time::Duration::from_secs(60));
    })
    .await;
    let fixture = Fixture::new(&app).await;
    let password = REVIEWER_PASSWORD;
    fixture.reviewer(&app, "Sam@Example.com").await;
    let action = fixture.action(&app, app.now(), |_| {}).await;
    let sign_in = |email: &str, password: &str| {
        app.client
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };

    let wrong = sign_in("sam@example.com", "wrong password!")
        .await
        .expect("sent");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = sign_in("nobody@example.com", password).await.expect("sent");
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown: Value = unknown.json().await.expect("json");
    assert_eq!(
        unknown["detail"], "The email or password is wrong.",
        "no hint which was wrong"
    );

    let signed_in = sign_in("sam@example.com", password).await.expect("sent");
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = session_cookie(&signed_in);
    let me: Value = signed_in.json().await.expect("json");
    assert_eq!(me["user"]["email"], "sam@example.com");
    assert_eq!(me["scopes"], json!(["actions:read", "actions:review"]));
    let csrf = me["csrf_token"].as_str().expect("csrf").to_owned();
    assert!(!me.to_string().contains(password));
    assert!(
        !me.to_string()
            .contains(cookie.trim_start_matches("inbox_session=")),
        "the token stays in the cookie"
    );

    let with_cookie = |method: Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .header("cookie", &cookie)
    };
    let list = with_cookie(Method::GET, "/api/v1/actions")
        .send()
        .await
        .expect("sent");
    assert_eq!(list.status(), StatusCode::OK);
    let approve = format!("/api/v1/actions/{}/approve", action.id);
    let forged = with_cookie(Method::POST, &approve)
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "a cookie alone cannot change anything"
    );
    let approved = with_cookie(Method::POST, &approve)
        .header("X-CSRF-Token", &csrf)
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.expect("json");
    assert_eq!(
        approved["history"]
            .as_array()
            .and_then(|h| h.last())
            .expect("an event")["actor"],
        format!("user:{}", me["user"]["id"].as_str().expect("id"))
    );
    let admin_only = with_cookie(Method::GET, "/api/v1/api-keys")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        admin_only.status(),
        StatusCode::FORBIDDEN,
        "reviewers do not manage keys"
    );

    let signed_out = with_cookie(Method::POST, "/api/v1/auth/sign-out")
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_out.status(), StatusCode::NO_CONTENT);
    let after = with_cookie(Method::GET, "/api/v1/actions")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "signing out ends the session at once"
    );

    let again = sign_in("sam@example.com", password).await.expect("sent");
    let cookie = session_cookie(&again);
    app.clock.advance(Duration::hours(12));
    let expired = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        expired.status(),
        StatusCode::UNAUTHORIZED,
        "sessions expire"
    );
}

#[apply(backends)]
async fn a_revoked_key_stops_working_at_once(#[case] backend: Backend) {
    // Even where the server remembers who a token is for a whole minute.
    let app = spawn_app_with(backend, |settings| {
        settings.auth_cache_ttl = Some(std::time::Duration::from_secs(60));
    })
    .await;
    let fixture = Fixture::new(&app).await;
    let (status, created) = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "billing", "scopes": ["actions:read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = created["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("inbox_key_"));
    let (_, listed) = app.get_json("/api/v1/api-keys").await;
    assert!(
        !listed.to_string().contains(&token),
        "a key's secret is shown once only"
    );

    let (status, _) = get_as(&app, &token, "/api/v1/actions").await;
    assert_eq!(status, StatusCode::OK);
    let (status, revoked) = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/api-keys/{}", created["id"].as_str().expect("id")),
            &Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revoked["revoked_at"], json!(app.now()));
    let (status, _) = get_as(&app, &token, "/api/v1/actions").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let _ = fixture;
}

#[apply(backends)]
async fn an_agents_key_proposes_only_as_that_agent(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let other_agent = app
        .insert(agents::Model {
            id: Uuid::now_v7(),
            slug: "other".into(),
            ..fixture.agent.clone()
        })
        .await;
    let key = app
        .key(
            fixture.location.id,
            &[Scope::ActionsPropose],
            Some(fixture.agent.id),
        )
        .await;

    let mut as_other = proposal(&fixture);
    as_other["agent_id"] = json!(other_agent.id);
    let (status, _) = propose_as(&app, &key, &as_other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mut implied = proposal(&fixture);
    implied.as_object_mut().expect("object").remove("agent_id");
    let (status, action) = propose_as(&app, &key, &implied).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["agent"]["id"], json!(fixture.agent.id));
}

/// Two replicas on one PostgreSQL count against one limit, not one each.
#[tokio::test]
async fn the_propose_limit_holds_across_replicas() {
    let limit = |settings: &mut ServeSettings| settings.propose_per_minute = 2;
    let app = spawn_app_with(Backend::Postgres, limit).await;
    let replica = app.spawn_replica_with(limit).await;
    let fixture = Fixture::new(&app).await;
    let token = app
        .key(fixture.location.id, &[Scope::ActionsPropose], None)
        .await;
    let propose = |server: &str| {
        app.client
            .post(format!("{server}/api/v1/actions"))
            .bearer_auth(&token)
            .json(&proposal(&fixture))
            .send()
    };
    let mut answers = Vec::new();
    for server in [&app.address, &replica, &replica, &app.address] {
        answers.push(propose(server).await.expect("sent").status());
    }
    assert_eq!(
        answers,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    assert_eq!(
        action_count(&app).await,
        2,
        "the refused ones changed nothing"
    );
}

#[apply(backends)]
async fn sign_in_and_proposing_are_rate_limited(#[case] backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.propose_per_minute = 2).await;
    let fixture = Fixture::new(&app).await;
    for _ in 0..2 {
        let (status, _) = app.post_json("/api/v1/actions", &proposal(&fixture)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let limited = app
        .request(Method::POST, "/api/v1/actions")
        .json(&proposal(&fixture))
        .send()
        .await
        .expect("sent");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    app.clock.advance(Duration::seconds(
        i64::try_from(retry_after).expect("small"),
    ));
    let (status, _) = app.post_json("/api/v1/actions", &proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "the next minute is open again");

    let attempt = || {
        app.client
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": "x@example.com", "password": "guess-guess"}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt().await.expect("sent").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = attempt().await.expect("sent");
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().contains_key("retry-after"));
}

/// The real binary, as operators run it: the seed's key and a CLI token work, and neither they
/// nor a password ever reach the logs.
#[tokio::test]
async fn secrets_never_reach_the_logs() {
    use std::process::{Command, Stdio};
    use tokio::io::AsyncBufReadExt;

    let dir = tempfile::tempdir().expect("folder");
    let (database, seeded) = crate::helpers::seeded_demo_database(dir.path());
    let binary = env!("CARGO_BIN_EXE_inbox");
    let agent_key = seeded
        .split_whitespace()
        .find(|w| w.starts_with("inbox_key_"))
        .expect("the seed prints the demo key")
        .to_owned();
    let token = Command::new(binary)
        .args([
            "token",
            "create",
            "--location",
            "demo",
            "--scope",
            "actions:read",
        ])
        .env("DATABASE_URL", &database)
        .output()
        .expect("token created");
    let token = String::from_utf8(token.stdout)
        .expect("utf-8")
        .lines()
        .last()
        .expect("a last line")
        .to_owned();
    assert!(
        token.starts_with("inbox_key_"),
        "the token is alone on the last line: {token}"
    );

    let log = dir.path().join("server.log");
    let mut server = tokio::process::Command::new(binary)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--spa-dir",
            "/nonexistent",
        ])
        .env("DATABASE_URL", &database)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("server started");
    let mut lines = tokio::io::BufReader::new(server.stdout.take().expect("stdout")).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .expect("stdout readable")
            .expect("the server prints its address");
        if let Some(base) = line.strip_prefix("listening on ") {
            break base.to_owned();
        }
    };
    let client = reqwest::Client::new();
    let listed = client
        .get(format!("{base}/api/v1/actions"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    assert_eq!(listed.status(), StatusCode::OK);
    let agents = client
        .get(format!("{base}/api/v1/agents"))
        .bearer_auth(&agent_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(agents.status(), StatusCode::OK);
    let signed_in = client
        .post(format!("{base}/api/v1/auth/sign-in"))
        .json(&json!({"email": inbox_api::seed::DEMO_EMAIL, "password": inbox_api::seed::DEMO_PASSWORD}))
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_in.status(), StatusCode::OK);
    let session = session_cookie(&signed_in);
    let bad = client
        .get(format!("{base}/api/v1/actions?cursor={token}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    server.kill().await.expect("stopped");

    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("/api/v1/auth/sign-in"),
        "requests are logged"
    );
    for secret in [
        token.as_str(),
        agent_key.as_str(),
        inbox_api::seed::DEMO_PASSWORD,
        session.trim_start_matches("inbox_session="),
    ] {
        assert!(!logged.contains(secret), "a secret reached the log");
    }
}

#[apply(backends)]
async fn cross_origin_access_is_closed_unless_an_origin_is_configured(#[case] backend: Backend) {
    let closed = spawn_app(backend).await;
    let open = spawn_app_with(backend, |s| {
        s.cors_origins = vec!["https://crm.example".into()]
    })
    .await;
    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/actions"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight(&open, "https://crm.example").await.expect("sent");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://crm.example"
    );
    for (app, origin) in [
        (&open, "https://evil.example"),
        (&closed, "https://crm.example"),
    ] {
        let refused = preflight(app, origin).await.expect("sent");
        assert!(
            !refused
                .headers()
                .contains_key("access-control-allow-origin"),
            "{origin}"
        );
        let read = app
            .client
            .get(app.url("/healthz"))
            .header("Origin", origin)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            read.status(),
            StatusCode::OK,
            "the request itself is served"
        );
        assert!(
            !read.headers().contains_key("access-control-allow-origin"),
            "but the browser is not let in"
        );
    }
}

#[apply(backends)]
async fn an_oversized_body_is_refused_whole(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["body"] = json!("x".repeat(1024 * 1024 + 1));
    let (status, problem) = app.post_json("/api/v1/actions", &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem["type"], "urn:ai-inbox:problem:payload-too-large");
    assert_eq!(crate::helpers::action_count(&app).await, 0);
}

/// Authenticate, then authorize, then validate: a caller without the scope is told so before
/// anything looks at what they sent (a malformed id, query or body would otherwise answer first,
/// and describe the schema to someone who may not use it).
#[apply(backends)]
async fn a_caller_without_the_scope_is_refused_before_their_input_is_read(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let read_only = app
        .key(fixture.location.id, &[Scope::ActionsRead], None)
        .await;
    app.use_token(&read_only);
    let agent = format!("/api/v1/agents/{}", fixture.agent.id);
    for (method, path, body) in [
        (Method::PATCH, agent.as_str(), "{\"enabled\": \"no\""),
        (Method::PATCH, "/api/v1/agents/not-a-uuid", "{}"),
        (Method::POST, "/api/v1/api-keys", "[1, 2"),
        (Method::POST, "/api/v1/webhooks", "{\"url\": 7}"),
        (Method::DELETE, "/api/v1/webhooks/not-a-uuid", ""),
        (Method::POST, "/api/v1/actions", "not json"),
        (Method::POST, "/api/v1/actions/bulk", "{\"op\": \"launch\"}"),
        (Method::POST, "/api/v1/actions/not-a-uuid/approve", "{"),
    ] {
        let response = app
            .request(method.clone(), path)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    // Holding the scope, the same malformed body is described.
    app.use_token(
        &app.key(fixture.location.id, &[Scope::AgentsAdmin], None)
            .await,
    );
    let response = app
        .request(Method::PATCH, &agent)
        .header("content-type", "application/json")
        .body("{\"enabled\": \"no\"")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// A key carries no more than its maker holds.
#[apply(backends)]
async fn a_key_can_only_give_the_scopes_it_holds(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    app.use_token(
        &app.key(fixture.location.id, &[Scope::AgentsAdmin], None)
            .await,
    );
    let (status, refused) = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "n", "scopes": ["agents:admin", "actions:review"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("`actions:review`")),
        "{refused}"
    );
    let (status, created) = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "n", "scopes": ["agents:admin"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

/// An agent's key follows up only on its own agent's actions: another agent's are not there.
#[apply(backends)]
async fn an_agents_key_reports_only_on_its_own_agents_actions(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let other_agent = app
        .insert(agents::Model {
            id: Uuid::now_v7(),
            slug: "other".into(),
            ..fixture.agent.clone()
        })
        .await;
    let sent_by = |agent_id: Uuid| {
        fixture.action(&app, app.now(), move |action| {
            action.status = ActionStatus::Approved;
            action.agent_id = agent_id;
        })
    };
    let (own, others) = (
        sent_by(fixture.agent.id).await.id,
        sent_by(other_agent.id).await.id,
    );
    app.use_token(
        &app.key(
            fixture.location.id,
            &[Scope::ActionsPropose],
            Some(fixture.agent.id),
        )
        .await,
    );
    let outcome = json!({"kind": "payment_made", "occurred_at": app.now()});
    let reply = json!({"conversation_id": "c1", "excerpt": "Thanks", "received_at": app.now()});
    for (path, body) in [("outcome", &outcome), ("responses", &reply)] {
        let (status, answer) = app
            .post_json(&format!("/api/v1/actions/{others}/{path}"), body)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        let (status, answer) = app
            .post_json(&format!("/api/v1/actions/{own}/{path}"), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {answer}");
    }
}

/// A body is one JSON value: anything after it is refused, and nothing changes.
#[apply(backends)]
async fn a_body_with_anything_after_its_json_is_refused(#[case] backend: Backend) {
    let (app, _, id) = crate::helpers::app_with_proposal(backend).await;
    for trailing in [
        "{\"duration\": \"1h\"} junk",
        "{\"duration\": \"1h\"}{}",
        "{\"duration\": \"1h\"}\u{0}",
    ] {
        let response = app
            .request(Method::POST, &format!("/api/v1/actions/{id}/snooze"))
            .header("content-type", "application/json")
            .body(trailing)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{trailing:?}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], "body", "{problem}");
    }
    let (_, action) = app.get_action(&id).await;
    assert_eq!(action["status"], "pending");
    assert_eq!(action["version"], 1);
}

/// A subject that would break out of its `Subject:` header, or hide how it reads, is refused
/// before anything is stored.
#[apply(backends)]
async fn a_subject_with_a_line_break_or_a_hidden_mark_is_refused(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    for subject in [
        "Hi\r\nBcc: all@example.com",
        "Invoice\u{202e}fdp.exe",
        "A\0B",
    ] {
        let mut body = proposal(&fixture);
        body["subject"] = json!(subject);
        let (status, problem) = app.propose(&body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{subject:?}: {problem}"
        );
        assert_eq!(error_fields(&problem), ["subject"]);
    }
    assert_eq!(action_count(&app).await, 0);
}

/// An action waits for a decision at most 90 days: a far-future expiry (9999-12-31) is refused.
#[apply(backends)]
async fn a_proposal_expiring_beyond_ninety_days_is_refused(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    for expires_at in [
        json!("9999-12-31T00:00:00Z"),
        json!(app.now() + Duration::days(91)),
    ] {
        let mut body = proposal(&fixture);
        body["expires_at"] = expires_at;
        let (status, problem) = app.propose(&body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(error_fields(&problem), ["expires_at"]);
    }
    assert_eq!(action_count(&app).await, 0);
    let mut body = proposal(&fixture);
    body["expires_at"] = json!(app.now() + Duration::days(90));
    assert_eq!(app.propose(&body).await.0, StatusCode::CREATED);
}

/// Guessing a password from one address locks that address out, not the account: the right
/// password from another address still signs in.
#[apply(backends)]
async fn guessing_from_one_address_does_not_lock_the_owner_out(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let password = REVIEWER_PASSWORD;
    fixture.reviewer(&app, "sam@example.com").await;
    let from = |address: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(address))
            .build()
            .expect("client")
    };
    let (guesser, owner) = (from([127, 0, 0, 2]), from([127, 0, 0, 3]));
    let sign_in = |client: &reqwest::Client, password: &str| {
        client
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": "sam@example.com", "password": password}))
            .send()
    };
    for _ in 0..5 {
        let response = sign_in(&guesser, "guess-guess").await.expect("sent");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = sign_in(&guesser, password).await.expect("sent");
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);

    let owner_signs_in = sign_in(&owner, password).await.expect("sent");
    assert_eq!(owner_signs_in.status(), StatusCode::OK);
}

/// Behind a load balancer every request comes from it: its `X-Forwarded-For` tells clients
/// apart, but only when the operator trusts it; from anyone else the header changes nothing.
#[apply(backends)]
async fn the_address_limit_believes_forwarded_addresses_only_from_trusted_proxies(
    #[case] backend: Backend,
) {
    let guess = |app: &crate::helpers::TestApp, forwarded: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/sign-in"))
            .header("X-Forwarded-For", forwarded)
            .json(&json!({"email": "nobody@example.com", "password": "guess-guess"}))
            .send()
    };
    let behind_proxy = spawn_app_with(backend, |settings| {
        settings.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")];
    })
    .await;
    for _ in 0..5 {
        let response = guess(&behind_proxy, "203.0.113.7").await.expect("sent");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = guess(&behind_proxy, "203.0.113.7").await.expect("sent");
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let another_client = guess(&behind_proxy, "203.0.113.8").await.expect("sent");
    assert_eq!(
        another_client.status(),
        StatusCode::UNAUTHORIZED,
        "limited on its own"
    );

    let exposed = spawn_app(backend).await;
    for (attempt, forwarded) in [
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.3",
        "198.51.100.4",
        "198.51.100.5",
    ]
    .into_iter()
    .enumerate()
    {
        let response = guess(&exposed, forwarded).await.expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let spoofed = guess(&exposed, "198.51.100.6").await.expect("sent");
    assert_eq!(
        spoofed.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a client cannot escape the limit by writing another address"
    );
}

/// A key that may only propose learns nothing from proposing that it could not already say:
/// not the customer's contact details or history, and not another proposal's content through
/// its `external_id`.
#[apply(backends)]
async fn a_propose_only_key_reads_no_customer_record(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut first = proposal(&fixture);
    first["external_id"] = json!("invoice-1234");
    let (status, _) = app.propose(&first).await;
    assert_eq!(status, StatusCode::CREATED);

    let token = app
        .key(fixture.location.id, &[Scope::ActionsPropose], None)
        .await;
    let mut second = proposal(&fixture);
    second["subject"] = json!("Second reminder");
    let (status, action) = propose_as(&app, &token, &second).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["subject"], Value::Null, "a detail, not a list item");
    assert_eq!(action["draft"]["subject"], "Second reminder");
    for hidden in [
        &action["customer"]["email"],
        &action["customer"]["phone"],
        &action["customer"]["plan"],
        &action["draft"]["to"],
    ] {
        assert_eq!(*hidden, Value::Null, "{action}");
    }
    assert_eq!(
        action["earlier_actions"],
        json!([]),
        "the first proposal stays unseen"
    );
    assert_eq!(action["customer_history"], json!([]));

    // The same external_id for another customer is not a replay of that action.
    let other = crate::helpers::other_customer(&app, &fixture).await;
    let mut stolen = proposal(&fixture);
    stolen["external_id"] = json!("invoice-1234");
    stolen["customer_id"] = json!(other);
    let (status, problem) = propose_as(&app, &token, &stolen).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem.get("draft").is_none());
    // A true retry still gets its action back, as its proposer may see it.
    let (status, replayed) = propose_as(&app, &token, &first).await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    assert_eq!(replayed["customer"]["email"], Value::Null);
}
