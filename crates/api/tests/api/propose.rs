use chrono::Duration;
use inbox_api::db::entities::{agents, customers};
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
use serde_json::json;

use crate::helpers::{
    action_count, backends, error_fields, lose_stored_responses, proposal, spawn_app, Backend,
    Fixture,
};

#[apply(backends)]
async fn an_agent_proposes_an_email_that_waits_for_review(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;

    let (status, action) = app.propose(&proposal(&fixture)).await;

    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["status"], "pending");
    assert_eq!(action["version"], 1);
    assert_eq!(action["draft"]["to"], "zoe@cafe-ole.example");
    assert_eq!(action["draft"]["from"], "hello@fixture.example");
    assert_eq!(action["confidence"], 87);
    assert_eq!(
        action["expires_at"],
        json!(app.now() + Duration::hours(72)),
        "the agent's default time to expire"
    );
    assert_eq!(action["history"][0]["kind"], "proposed");
    assert!(
        action["history"][0]["actor"]
            .as_str()
            .is_some_and(|actor| actor.starts_with("key:")),
        "the proposing key is recorded"
    );
    let (_, list) = app.list("").await;
    assert_eq!(list["items"][0]["id"], action["id"]);
    assert_eq!(
        list["items"][0]["subject"],
        "Payment reminder: Invoice #1234"
    );
}

#[apply(backends)]
async fn html_bodies_are_sanitised_on_the_way_in(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["body"] = json!(
        "<p onclick=\"steal()\">Hi <strong>{{first_name}}</strong><script>alert(1)</script></p>"
    );

    let (status, action) = app.propose(&body).await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        action["draft"]["body"],
        "<p>Hi <strong>{{first_name}}</strong></p>"
    );
}

#[apply(backends)]
async fn a_future_not_before_holds_the_action_as_deferred(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["not_before"] = json!(app.now() + Duration::hours(2));

    let (status, action) = app.propose(&body).await;

    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(action["status"], "deferred");
    assert_eq!(action["decisions"]["deferred_until"], body["not_before"]);
}

#[apply(backends)]
async fn a_trusted_agent_above_its_threshold_auto_executes(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut agent = fixture.agent.clone().into_active_model();
    agent.auto_execute = Set(json!(["draft_message"]));
    agent.auto_execute_min_confidence = Set(85);
    agent.update(&app.db).await.expect("agent updated");
    app.use_token(
        &app.key(fixture.location.id, Scope::ALL, Some(fixture.agent.id))
            .await,
    );

    let (_, sent) = app.propose(&proposal(&fixture)).await;
    let mut unsure = proposal(&fixture);
    unsure["confidence"] = json!(84);
    let (_, held) = app.propose(&unsure).await;

    assert_eq!(sent["status"], "auto_executed");
    assert_eq!(sent["decisions"]["auto_executed_at"], json!(app.now()));
    assert_eq!(held["status"], "pending");
}

/// A key bound to no agent may name any agent, so it never speaks for one: its proposals wait
/// for review however trusted the agent and however sure it claims to be, now or on release.
#[apply(backends)]
async fn only_the_agents_own_key_may_skip_review(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut agent = fixture.agent.clone().into_active_model();
    agent.auto_execute = Set(json!(["draft_message"]));
    agent.auto_execute_min_confidence = Set(50);
    agent.update(&app.db).await.expect("agent updated");
    app.use_token(&app.key(fixture.location.id, Scope::ALL, None).await);

    let mut certain = proposal(&fixture);
    certain["confidence"] = json!(100);
    let (status, now) = app.propose(&certain).await;
    assert_eq!(status, StatusCode::CREATED, "{now}");
    assert_eq!(now["status"], "pending");
    certain["not_before"] = json!(app.now() + Duration::hours(1));
    let (_, held) = app.propose(&certain).await;
    assert_eq!(held["status"], "deferred");
    app.clock.advance(Duration::hours(1));
    let swept = app.sweep().await;
    assert_eq!((swept.auto_executed, swept.released), (0, 1), "{swept:?}");
    let (_, released) = app.get_action(held["id"].as_str().expect("id")).await;
    assert_eq!(released["status"], "pending");
}

#[apply(backends)]
async fn replaying_an_external_id_returns_the_first_action(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["external_id"] = json!("invoice-1234-reminder");

    let (first_status, first) = app.propose(&body).await;
    let (replay_status, replay) = app.propose(&body).await;

    assert_eq!(first_status, StatusCode::CREATED);
    assert_eq!(replay_status, StatusCode::OK);
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(action_count(&app).await, 1);
}

#[apply(backends)]
async fn an_idempotency_key_makes_a_retry_return_the_first_response(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let body = proposal(&fixture);
    let send = |body: serde_json::Value| {
        app.request(reqwest::Method::POST, "/api/v1/actions")
            .header("Idempotency-Key", "retry-me-1")
            .json(&body)
            .send()
    };

    let first = send(body.clone()).await.expect("sent");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.expect("json");
    let replay = send(body.clone()).await.expect("sent");
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: serde_json::Value = replay.json().await.expect("json");
    assert_eq!(replay, first);
    assert_eq!(action_count(&app).await, 1);

    let mut other = body;
    other["confidence"] = json!(50);
    let reused = send(other).await.expect("sent");
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = reused.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(action_count(&app).await, 1);
}

#[apply(backends)]
async fn a_response_lost_after_the_commit_never_leads_to_a_second_action(#[case] backend: Backend) {
    use inbox_api::db::entities::idempotency_keys;
    use sea_orm::EntityTrait;
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let send = || {
        app.request(reqwest::Method::POST, "/api/v1/actions")
            .header("Idempotency-Key", "lost-response-1")
            .json(&proposal(&fixture))
            .send()
    };
    let first = send().await.expect("sent");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.expect("json");
    let record = idempotency_keys::Entity::find()
        .one(&app.db)
        .await
        .expect("read")
        .expect("the key is recorded");
    assert!(
        record.committed_at.is_some(),
        "marked in the action's transaction"
    );
    assert_eq!(
        record.action_id.map(|id| id.to_string()).as_deref(),
        first["id"].as_str()
    );
    lose_stored_responses(&app).await;

    let retry = send().await.expect("sent");

    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: serde_json::Value = retry.json().await.expect("json");
    assert_eq!(retry["id"], first["id"], "the first action, as it is now");
    assert_eq!(action_count(&app).await, 1, "never a second action");
}

#[apply(backends)]
async fn two_callers_using_one_idempotency_key_never_collide(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let other_key = app
        .key(fixture.location.id, &[Scope::ActionsPropose], None)
        .await;
    let propose_as = |token: Option<&str>, confidence: i64| {
        let mut body = proposal(&fixture);
        body["confidence"] = json!(confidence);
        let request = match token {
            Some(token) => app
                .client
                .post(app.url("/api/v1/actions"))
                .bearer_auth(token),
            None => app.request(reqwest::Method::POST, "/api/v1/actions"),
        };
        request
            .header("Idempotency-Key", "nightly-run-7")
            .json(&body)
            .send()
    };

    let mine = propose_as(None, 87).await.expect("sent");
    let theirs = propose_as(Some(&other_key), 60).await.expect("sent");

    assert_eq!(mine.status(), StatusCode::CREATED);
    assert_eq!(
        theirs.status(),
        StatusCode::CREATED,
        "another caller's key space"
    );
    assert_eq!(action_count(&app).await, 2);
}

#[apply(backends)]
async fn invalid_proposals_name_every_field_and_create_nothing(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let silent = app
        .insert(customers::Model {
            id: uuid::Uuid::now_v7(),
            email: None,
            phone: None,
            ..fixture.customer.clone()
        })
        .await;
    let disabled = app
        .insert(agents::Model {
            id: uuid::Uuid::now_v7(),
            slug: "disabled".into(),
            enabled: false,
            ..fixture.agent.clone()
        })
        .await;

    let past = app.now() - Duration::hours(1);
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("confidence", json!({"confidence": 101}), "confidence"),
        (
            "no address",
            json!({"customer_id": silent.id}),
            "customer_id",
        ),
        (
            "no phone",
            json!({"customer_id": silent.id, "action_type": "voice_outreach", "channel": "voice", "subject": null, "body": null, "script": "Hi"}),
            "customer_id",
        ),
        (
            "unknown customer",
            json!({"customer_id": uuid::Uuid::now_v7()}),
            "customer_id",
        ),
        (
            "unknown agent",
            json!({"agent_id": uuid::Uuid::now_v7()}),
            "agent_id",
        ),
        (
            "disabled agent",
            json!({"agent_id": disabled.id}),
            "agent_id",
        ),
        (
            "expiry in the past",
            json!({"expires_at": past}),
            "expires_at",
        ),
        ("channel", json!({"channel": "voice"}), "channel"),
        ("no subject", json!({"subject": null}), "subject"),
        (
            "blank trigger",
            json!({"trigger": {"summary": " ", "data": {}}}),
            "trigger.summary",
        ),
    ];
    for (name, changes, field) in cases {
        let mut body = proposal(&fixture);
        for (key, value) in changes.as_object().expect("object") {
            body[key] = value.clone();
        }
        let (status, problem) = app.propose(&body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {problem}"
        );
        assert_eq!(problem["type"], "urn:ai-inbox:problem:validation");
        assert!(
            error_fields(&problem).contains(&field),
            "{name} names `{field}`: {problem}"
        );
    }

    for (name, body, field) in [
        ("bad enum", json!({"action_type": "fax"}), "action_type"),
        ("wrong type", json!({"confidence": "high"}), "confidence"),
    ] {
        let mut full = proposal(&fixture);
        for (key, value) in body.as_object().expect("object") {
            full[key] = value.clone();
        }
        let (status, problem) = app.propose(&full).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{name}");
    }
    let not_json = app
        .request(reqwest::Method::POST, "/api/v1/actions")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .expect("sent");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        not_json.headers()["content-type"],
        "application/problem+json"
    );

    assert_eq!(action_count(&app).await, 0, "nothing was created");
}

#[apply(backends)]
async fn a_key_whose_first_attempt_died_is_taken_over_by_a_retry(#[case] backend: Backend) {
    use inbox_api::db::idempotency::{claim, request_hash, Claim};
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let hash = request_hash("POST", "/api/v1/actions", None, b"{}");
    let first = claim(&app.db, fixture.location.id, "k-1", &hash, app.now())
        .await
        .expect("claimed");
    assert!(matches!(first, Claim::New(_)));
    let running = claim(&app.db, fixture.location.id, "k-1", &hash, app.now())
        .await
        .expect("looked up");
    assert!(
        matches!(running, Claim::InProgress),
        "the first attempt may still finish"
    );
    let other = request_hash("POST", "/api/v1/actions", Some("\"2\""), b"{}");
    let mismatch = claim(&app.db, fixture.location.id, "k-1", &other, app.now())
        .await
        .expect("looked up");
    assert!(
        matches!(mismatch, Claim::Mismatch),
        "If-Match is part of the request"
    );

    app.clock.advance(Duration::minutes(3));
    let retry = claim(&app.db, fixture.location.id, "k-1", &hash, app.now())
        .await
        .expect("claimed");
    assert!(
        matches!(retry, Claim::New(_)),
        "an abandoned attempt is taken over"
    );
    let again = claim(&app.db, fixture.location.id, "k-1", &hash, app.now())
        .await
        .expect("looked up");
    assert!(matches!(again, Claim::InProgress), "by one retry only");
}
