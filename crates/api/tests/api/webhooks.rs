//! Outbound webhooks: admins register endpoints; every subscribed event is queued with the
//! decision that raised it and delivered signed, with retries, to a real receiver that verifies
//! it.

use chrono::Duration;
use inbox_api::jobs::{
    deliveries::{DeliveryReport as WebhookReport, Outbound},
    webhooks::run_once,
};
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::{
    deliveries::deliver,
    helpers::{
        app_with_proposal, assert_field_error, backends, id_of, proposal, spawn_app, Backend,
        Fixture, TestApp, UNDO_WINDOW,
    },
    outside::{SignedReceiver, SmtpServer},
};

/// One pass of the webhook worker at the test's clock.
async fn send_webhooks(app: &TestApp) -> WebhookReport {
    run_once(&app.db, &inbox_api::jobs::webhooks::client(), app.now())
        .await
        .expect("webhook pass ran")
}

/// Registers `url` for `events`; returns the endpoint with its secret.
async fn register(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let (status, endpoint) = app
        .post_json("/api/v1/webhooks", &json!({"url": url, "events": events}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{endpoint}");
    endpoint
}

/// A verifying receiver registered for `events`; returns it with the endpoint's id.
async fn registered_receiver(app: &TestApp, events: &[&str]) -> (SignedReceiver, String) {
    let receiver = SignedReceiver::start(b"", app.clock.clone()).await;
    let endpoint = register(app, &receiver.url, events).await;
    let secret = endpoint["secret"].as_str().expect("the secret, shown once");
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.use_secret(secret);
    (receiver, endpoint["id"].as_str().expect("id").to_owned())
}

/// The `type`s of the messages a receiver accepted, in order.
fn accepted_types(receiver: &SignedReceiver) -> Vec<String> {
    receiver
        .accepted
        .lock()
        .expect("accepted")
        .iter()
        .map(|(_, body)| {
            let message: Value = serde_json::from_slice(body).expect("JSON");
            message["type"].as_str().expect("type").to_owned()
        })
        .collect()
}

async fn log(app: &TestApp, endpoint_id: &str) -> Value {
    let (status, page) = app
        .get_json(&format!("/api/v1/webhooks/{endpoint_id}/deliveries"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

#[apply(backends)]
async fn an_endpoint_hears_every_event_it_subscribed_to_signed(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (receiver, endpoint_id) =
        registered_receiver(&app, &["action.proposed", "action.decided", "action.sent"]).await;
    let (_, listed) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(listed.as_array().expect("endpoints").len(), 1, "{listed}");
    assert!(listed[0].get("secret").is_none(), "never shown again");

    let (status, action) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = action["id"].as_str().expect("id").to_owned();
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    deliver(&app, &Outbound::default()).await;

    let report = send_webhooks(&app).await;

    assert_eq!(
        report.sent,
        3,
        "{report:?} {}",
        log(&app, &endpoint_id).await
    );
    assert_eq!(
        accepted_types(&receiver),
        ["action.proposed", "action.decided", "action.sent"]
    );
    let accepted = receiver.accepted.lock().expect("accepted").clone();
    let (headers, body) = &accepted[1];
    let decided: Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(decided["data"]["action_id"], id.as_str());
    assert_eq!(decided["data"]["history"]["kind"], "approved");
    assert_eq!(decided["data"]["history"]["to_status"], "approved");
    let page = log(&app, &endpoint_id).await;
    assert_eq!(page["total"], 3);
    assert!(page["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|message| message["state"] == "sent" && message["response_status"] == 200));
    assert_eq!(send_webhooks(&app).await, WebhookReport::default(), "once");

    // A replay of a message it took, or a tampered one, is refused by the receiver.
    let send = |body: Vec<u8>| {
        app.client
            .post(&receiver.url)
            .headers(headers.clone())
            .body(body)
            .send()
    };
    assert_eq!(
        send(body.clone()).await.expect("sent").status(),
        StatusCode::UNAUTHORIZED,
        "replayed"
    );
    let tampered = String::from_utf8(body.clone())
        .expect("UTF-8")
        .replace("approved", "rejected");
    assert_eq!(
        send(tampered.into_bytes()).await.expect("sent").status(),
        StatusCode::UNAUTHORIZED,
        "forged"
    );
}

#[apply(backends)]
async fn undone_rejected_and_expired_actions_are_announced(#[case] backend: Backend) {
    let (app, fixture, id) = app_with_proposal(backend).await;
    let (receiver, _) = registered_receiver(&app, &["action.decided", "action.expired"]).await;

    app.review(&id, "approve", json!({})).await;
    app.review(&id, "undo", json!(null)).await;
    app.review(&id, "reject", json!({"reason": "poor_timing"}))
        .await;
    let expiring = fixture.action(&app, app.now(), |_| {}).await;
    app.clock.advance(Duration::days(30));
    assert_eq!(app.sweep().await.expired, 1);
    send_webhooks(&app).await;

    let kinds: Vec<(String, String)> = receiver
        .accepted
        .lock()
        .expect("accepted")
        .iter()
        .map(|(_, body)| {
            let message: Value = serde_json::from_slice(body).expect("JSON");
            (
                message["type"].as_str().expect("type").to_owned(),
                message["data"]["history"]["kind"]
                    .as_str()
                    .expect("kind")
                    .to_owned(),
            )
        })
        .collect();
    let expected = [
        ("action.decided", "approved"),
        ("action.decided", "undone"),
        ("action.decided", "rejected"),
        ("action.expired", "expired"),
    ]
    .map(|(event, kind)| (event.to_owned(), kind.to_owned()));
    assert_eq!(kinds, expected);
    let last: Value =
        serde_json::from_slice(&receiver.accepted.lock().expect("accepted")[3].1).expect("JSON");
    assert_eq!(last["data"]["action_id"], expiring.id.to_string());
}

#[apply(backends)]
async fn a_failing_endpoint_is_retried_and_never_holds_up_reviewing(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let down = register(&app, &format!("http://{closed}/hook"), &["action.decided"]).await;
    // This one answers, but with another key: every message is refused for good (401).
    let wrong_key = SignedReceiver::start(b"another key", app.clock.clone()).await;
    let refusing = register(&app, &wrong_key.url, &["action.decided"]).await;

    let (status, approved) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "reviewing goes on: {approved}");
    let report = send_webhooks(&app).await;

    assert_eq!((report.retrying, report.failed), (1, 1), "{report:?}");
    let retrying = &log(&app, down["id"].as_str().expect("id")).await["items"][0];
    assert_eq!(retrying["state"], "scheduled");
    assert_eq!(retrying["attempts"], 1);
    assert!(retrying["last_error"].is_string(), "{retrying}");
    let failed = &log(&app, refusing["id"].as_str().expect("id")).await["items"][0];
    assert_eq!(failed["state"], "failed", "a refusal is not retried");
    assert_eq!(failed["response_status"], 401);
    assert_eq!(
        send_webhooks(&app).await,
        WebhookReport::default(),
        "not due yet"
    );
    // Retried later, with backoff, until it too gives up.
    for _ in 0..10 {
        app.clock.advance(Duration::hours(2));
        send_webhooks(&app).await;
    }
    let given_up = &log(&app, down["id"].as_str().expect("id")).await["items"][0];
    assert_eq!(given_up["state"], "failed");
    assert_eq!(given_up["attempts"], 5);
}

#[apply(backends)]
async fn a_removed_endpoint_is_sent_nothing_more(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let receiver = SignedReceiver::start(b"", app.clock.clone()).await;
    let endpoint = register(&app, &receiver.url, &["action.decided"]).await;
    let endpoint_id = endpoint["id"].as_str().expect("id").to_owned();
    app.review(&id, "approve", json!({})).await;
    let delete = || {
        app.request(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{endpoint_id}"),
        )
        .send()
    };

    assert_eq!(
        delete().await.expect("sent").status(),
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        delete().await.expect("sent").status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(send_webhooks(&app).await, WebhookReport::default());
    assert!(receiver.accepted.lock().expect("accepted").is_empty());
    let page = log(&app, &endpoint_id).await;
    assert_eq!(
        page["items"][0]["state"], "cancelled",
        "the log stays: {page}"
    );
    let (_, listed) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(listed, json!([]));
}

#[apply(backends)]
async fn bad_registrations_are_refused_and_change_nothing(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let app = &app;
    let post = |body: Value| async move { app.post_json("/api/v1/webhooks", &body).await };

    assert_field_error(
        post(json!({"url": "ftp://crm.example/hook", "events": ["action.sent"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "url",
    );
    assert_field_error(
        post(json!({"url": "https://crm.example/hook", "events": []})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "events",
    );
    let (status, problem) =
        post(json!({"url": "https://crm.example/hook", "events": ["action.deleted"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, _) = post(
        json!({"url": "https://crm.example/hook", "events": ["action.sent"], "secret": "mine"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );
    let (_, listed) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(listed, json!([]), "nothing was registered");

    app.use_token(
        &app.key(
            fixture.location.id,
            &[Scope::ActionsRead, Scope::ActionsReview],
            None,
        )
        .await,
    );
    let (status, _) =
        post(json!({"url": "https://crm.example/hook", "events": ["action.sent"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    let (status, _) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[apply(backends)]
async fn a_failed_delivery_a_snooze_and_a_rejection_reach_the_endpoint_as_they_happened(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start_scripted(&["--refuse", "550 5.7.1 Refused by policy"]).await;
    let (app, fixture, approved) = app_with_proposal(backend).await;
    let (receiver, endpoint_id) =
        registered_receiver(&app, &["delivery.failed", "action.decided"]).await;
    let snoozed = id_of(&app.propose(&proposal(&fixture)).await.1).to_owned();
    let rejected = id_of(&app.propose(&proposal(&fixture)).await.1).to_owned();

    let decided_at = app.now();
    app.review(&approved, "approve", json!({})).await;
    let (status, _) = app
        .review(
            &snoozed,
            "snooze",
            json!({"duration": "1d", "note": "After the audit"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .review(
            &rejected,
            "reject",
            json!({"reason": "already_resolved", "note": "Paid at the desk"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    let refusing =
        Outbound::new(Some(&format!("smtp://127.0.0.1:{}", smtp.port)), None).expect("a valid URL");
    assert_eq!(deliver(&app, &refusing).await.failed, 1);

    let report = send_webhooks(&app).await;

    assert_eq!(
        report.sent,
        4,
        "{report:?} {}",
        log(&app, &endpoint_id).await
    );
    assert_eq!(
        accepted_types(&receiver),
        [
            "action.decided",
            "action.decided",
            "action.decided",
            "delivery.failed"
        ],
        "not the proposals: they were not subscribed to"
    );
    let messages: Vec<Value> = receiver
        .accepted
        .lock()
        .expect("accepted")
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).expect("JSON"))
        .collect();
    let expected = [
        (&approved, "approved"),
        (&snoozed, "snoozed"),
        (&rejected, "rejected"),
    ];
    for (message, (id, status)) in messages.iter().zip(expected) {
        assert_eq!(message["data"]["action_id"], id.as_str(), "{message}");
        assert_eq!(message["data"]["history"]["kind"], status, "{message}");
        assert_eq!(message["data"]["history"]["to_status"], status, "{message}");
    }
    let snooze = &messages[1]["data"]["history"]["data"];
    assert_eq!(snooze["note"], "After the audit");
    assert_eq!(snooze["until"], json!(decided_at + Duration::days(1)));
    let rejection = &messages[2]["data"]["history"]["data"];
    assert_eq!(rejection["reason"], "already_resolved");
    assert_eq!(rejection["note"], "Paid at the desk");
    let failure = &messages[3]["data"];
    assert_eq!(failure["action_id"], approved.as_str());
    assert_eq!(failure["history"]["kind"], "delivery_failed");
    assert_eq!(failure["history"]["actor"], "system");
    assert_eq!(failure["history"]["data"]["attempt"], 1);
    assert!(
        failure["history"]["data"]["error"]
            .as_str()
            .is_some_and(|error| error.contains("Refused by policy")),
        "why it failed: {failure}"
    );
}

#[apply(backends)]
async fn a_replayed_registration_neither_stores_nor_shows_the_secret_again(
    #[case] backend: Backend,
) {
    use inbox_api::db::entities::idempotency_keys;
    use sea_orm::EntityTrait;
    let app = spawn_app(backend).await;
    let _fixture = Fixture::new(&app).await;
    let body = json!({"url": "https://crm.example/hook", "events": ["action.sent"]});
    let register = || {
        app.request(reqwest::Method::POST, "/api/v1/webhooks")
            .header("Idempotency-Key", "register-crm-1")
            .json(&body)
            .send()
    };

    let first = register().await.expect("sent");
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.expect("JSON");
    let secret = first["secret"].as_str().expect("the secret, shown once");
    let stored = idempotency_keys::Entity::find()
        .all(&app.db)
        .await
        .expect("read");
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0]
            .response_body
            .as_deref()
            .unwrap_or_default()
            .contains(secret),
        "the secret is never stored"
    );

    let replay = register().await.expect("sent");

    assert_eq!(replay.status(), StatusCode::CONFLICT);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay = replay.text().await.expect("a body");
    assert!(!replay.contains(secret), "{replay}");
    let problem: Value = serde_json::from_str(&replay).expect("JSON");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(
        detail.contains(first["id"].as_str().expect("id")),
        "names the endpoint registered: {detail}"
    );
    assert!(detail.contains("cannot be shown again"), "{detail}");
    let (_, listed) = app.get_json("/api/v1/webhooks").await;
    assert_eq!(
        listed.as_array().expect("endpoints").len(),
        1,
        "one endpoint"
    );
}
