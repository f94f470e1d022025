//! Approve & Send really sends: the delivery outbox, the worker, SMTP and the built-in outbox.

use chrono::Duration;
use inbox_api::jobs::deliveries::{run_once, DeliveryReport, Outbound};
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::helpers::{
    app_with_proposal, backends, call_proposal, closed_for_the_weekend, event_kinds, item_ids,
    proposal, spawn_app, Backend, Fixture, TestApp, UNDO_WINDOW,
};
use crate::outside::{SignedReceiver, SmtpServer, TestCa};

/// One delivery pass at the test's clock.
pub async fn deliver(app: &TestApp, outbound: &Outbound) -> DeliveryReport {
    run_once(&app.db, &app.bus, outbound, app.now())
        .await
        .expect("delivery pass ran")
}

/// Actions proposed `minutes_ago`, approved in one bulk request.
async fn approve_in_bulk(
    app: &TestApp,
    fixture: &Fixture,
    minutes_ago: impl IntoIterator<Item = i64>,
) {
    let ids: Vec<String> = fixture
        .actions_minutes_ago(app, minutes_ago)
        .await
        .iter()
        .map(|action| action.id.to_string())
        .collect();
    let (status, bulk) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": ids}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
}

/// The location's deliveries, newest first.
pub async fn deliveries(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/deliveries").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").clone()
}

/// One delivery pass that must send exactly one message (the failure says why not).
pub async fn deliver_one(app: &TestApp, outbound: &Outbound) {
    let report = deliver(app, outbound).await;
    let why = deliveries(app).await[0]["last_error"].clone();
    assert_eq!(report, sent(1), "{why}");
}

/// Email to an SMTP port nothing listens on: every attempt fails and is retried.
pub fn unreachable_smtp() -> Outbound {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    Outbound::new(Some(&format!("smtp://127.0.0.1:{closed_port}")), None).expect("a valid URL")
}

pub fn sent(count: usize) -> DeliveryReport {
    DeliveryReport {
        sent: count,
        ..DeliveryReport::default()
    }
}

#[apply(backends)]
async fn an_approved_email_leaves_after_the_undo_window_exactly_as_previewed(
    #[case] backend: Backend,
) {
    let (app, fixture, id) = app_with_proposal(backend).await;
    let (_, preview) = app.review(&id, "preview", json!({})).await;

    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let scheduled = deliveries(&app).await;
    assert_eq!(scheduled.len(), 1);
    let delivery = &scheduled[0];
    assert_eq!(delivery["state"], "scheduled");
    assert_eq!(delivery["channel"], "email");
    assert_eq!(delivery["action_id"], id.as_str());
    assert_eq!(delivery["subject"], preview["subject"]);
    assert_eq!(delivery["body_html"], preview["body_html"]);
    assert_eq!(delivery["body_text"], preview["body_text"]);
    assert_eq!(
        delivery["recipient"],
        fixture.customer.email.clone().expect("email")
    );
    assert_eq!(
        delivery["sender"],
        fixture.location.sending_address.as_str()
    );

    let outbox = Outbound::default();
    assert_eq!(
        deliver(&app, &outbox).await,
        sent(0),
        "not inside the undo window"
    );
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    assert_eq!(deliver(&app, &outbox).await, sent(1));
    assert_eq!(deliver(&app, &outbox).await, sent(0), "exactly once");

    let delivered = deliveries(&app).await;
    assert_eq!(delivered[0]["state"], "sent");
    assert_eq!(delivered[0]["attempts"], 1);
    assert_eq!(delivered[0]["provider_id"], format!("<{id}@ai-inbox>"));
    assert!(delivered[0]["sent_at"].is_string());
    let kinds = event_kinds(&app, &id).await;
    assert_eq!(kinds, ["proposed", "approved", "sent"]);
}

#[apply(backends)]
async fn a_trusted_agents_action_is_delivered_at_once(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    trust(&app, &fixture, "draft_message").await;
    let (status, action) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(action["status"], "auto_executed");

    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));
    assert_eq!(deliveries(&app).await[0]["state"], "sent");
}

#[apply(backends)]
async fn a_note_is_delivered_onto_the_customers_history(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut note = proposal(&fixture);
    note["action_type"] = json!("internal_note");
    note["channel"] = Value::Null;
    note["subject"] = json!("Offer Zoë the quiet room on Fridays");
    let (status, action) = app.propose(&note).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = action["id"].as_str().expect("id").to_owned();
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);

    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));

    let (_, customer) = app
        .get_json(&format!("/api/v1/customers/{}", fixture.customer.id))
        .await;
    let history = customer["history"].as_array().expect("history");
    let entry = history
        .iter()
        .find(|entry| entry["summary"] == "Internal Note: Offer Zoë the quiet room on Fridays")
        .unwrap_or_else(|| panic!("no entry for the note: {history:?}"));
    // The note's text, derived from the HTML the delivery keeps, as the delivery shows it.
    let text = entry["data"]["text"].as_str().expect("the note's text");
    assert!(!text.is_empty(), "{entry}");
    assert_eq!(deliveries(&app).await[0]["body_text"], text);
}

#[apply(backends)]
async fn an_unreachable_smtp_server_is_retried_then_the_delivery_fails_until_tried_again(
    #[case] backend: Backend,
) {
    let (app, fixture, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let outbound =
        Outbound::new(Some(&format!("smtp://127.0.0.1:{closed_port}")), None).expect("a valid URL");

    let mut reports = Vec::new();
    for _ in 0..inbox_domain::delivery::MAX_ATTEMPTS {
        app.clock.advance(Duration::hours(2));
        reports.push(deliver(&app, &outbound).await);
    }

    let retried = DeliveryReport {
        retrying: 1,
        ..DeliveryReport::default()
    };
    let failed = DeliveryReport {
        failed: 1,
        ..DeliveryReport::default()
    };
    assert_eq!(
        reports[..reports.len() - 1],
        vec![retried; reports.len() - 1]
    );
    assert_eq!(reports.last(), Some(&failed));
    let (status, page) = app.get_json("/api/v1/deliveries?state=failed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 1);
    assert_eq!(
        page["items"][0]["attempts"],
        inbox_domain::delivery::MAX_ATTEMPTS
    );
    assert!(page["items"][0]["last_error"]
        .as_str()
        .is_some_and(|error| error.starts_with("SMTP")));
    // Each attempt shows in the history: four retries, then the failure for good.
    let kinds = event_kinds(&app, &id).await;
    let attempts: Vec<&str> = kinds[2..].iter().map(String::as_str).collect();
    assert_eq!(
        attempts,
        [
            "delivery_attempt_failed",
            "delivery_attempt_failed",
            "delivery_attempt_failed",
            "delivery_attempt_failed",
            "delivery_failed"
        ]
    );
    let (_, detail) = app.get_action(&id).await;
    assert_eq!(detail["history"][2]["data"]["attempt"], 1);
    assert!(detail["history"][2]["data"]["retry_at"].is_string());
    let given_up = &detail["history"][6]["data"];
    assert_eq!(given_up["attempt"], inbox_domain::delivery::MAX_ATTEMPTS);
    assert!(given_up["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("SMTP")));
    assert!(
        given_up.get("retry_at").is_none(),
        "not tried again: {given_up}"
    );
    assert_eq!(detail["delivery"]["state"], "failed", "the panel shows it");
    let (_, listed) = app.list("status=approved&delivery_state=failed").await;
    assert_eq!(listed["total"], 1, "a filterable delivery state: {listed}");
    assert_eq!(listed["items"][0]["delivery_state"], "failed");

    let delivery_id = page["items"][0]["id"].as_str().expect("id").to_owned();
    let retry = format!("/api/v1/deliveries/{delivery_id}/retry");
    let reader = app
        .key(fixture.location.id, &[Scope::ActionsRead], None)
        .await;
    let status = app
        .client
        .post(app.url(&retry))
        .bearer_auth(&reader)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "retrying needs actions:review"
    );
    let (status, again) = app.post_json(&retry, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["state"], "scheduled");
    assert_eq!(again["attempts"], 0);
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));
    let (status, problem) = app.post_json(&retry, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "only a failed one: {problem}");
    let unknown = format!("/api/v1/deliveries/{}/retry", uuid::Uuid::now_v7());
    assert_eq!(
        app.post_json(&unknown, &json!({})).await.0,
        StatusCode::NOT_FOUND
    );
}

#[apply(backends)]
async fn what_cannot_be_delivered_is_refused_before_it_is_approved(#[case] backend: Backend) {
    use inbox_api::db::entities::customers;
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    let (app, fixture, id) = app_with_proposal(backend).await;
    customers::Entity::update_many()
        .col_expr(
            customers::Column::Email,
            Expr::value(Option::<String>::None),
        )
        .filter(customers::Column::Id.eq(fixture.customer.id))
        .exec(&app.db)
        .await
        .expect("email removed");

    let (status, problem) = app.review(&id, "approve", json!({})).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "customer_id");
    let (_, action) = app.get_action(&id).await;
    assert_eq!(action["status"], "pending");
    assert!(deliveries(&app).await.is_empty());
}

#[apply(backends)]
async fn a_bad_delivery_filter_is_refused(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let _fixture = Fixture::new(&app).await;
    for query in ["state=lost", "limit=0", "cursor=nope", "colour=red"] {
        let (status, problem) = app.get_json(&format!("/api/v1/deliveries?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
    }
}

#[apply(backends)]
async fn an_smtp_server_receives_the_rendered_email_once(#[case] backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    // A subject with a line break is refused when proposed; a value filled into it is not
    // checked that way, so the header must still come out as one line.
    body["subject"] = json!("Invoice {{invoice_number}}{{trailer}}");
    body["body"] = json!("<p>About {{invoice_number}}.</p>");
    body["variables"] = json!({
        "invoice_number": "<script>alert(1)</script>",
        "trailer": "\r\nBcc: everyone@example.com",
    });
    let (status, action) = app.propose(&body).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = action["id"].as_str().expect("id").to_owned();
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let outbound =
        Outbound::new(Some(&format!("smtp://127.0.0.1:{}", smtp.port)), None).expect("URL");

    assert_eq!(deliver(&app, &outbound).await, sent(0));
    assert!(smtp.messages().is_empty(), "nothing inside the undo window");
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    deliver_one(&app, &outbound).await;
    assert_eq!(deliver(&app, &outbound).await, sent(0));

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "exactly one message");
    // The maildir keeps the message as received, quoted-printable soft breaks and all.
    let message = messages[0]
        .replace("\r\n", "\n")
        .replace("=\n", "")
        .replace("=3D", "=");
    let (headers, body) = message.split_once("\n\n").expect("headers and a body");
    assert!(
        headers.contains(&format!("Message-ID: <{id}@ai-inbox>")),
        "{headers}"
    );
    assert!(headers.contains("From: hello@fixture.example"), "{headers}");
    assert!(headers.contains("To: zoe@cafe-ole.example"), "{headers}");
    assert!(
        !headers.contains("\nBcc:"),
        "no header injection: {headers}"
    );
    assert!(headers.contains("multipart/alternative"), "{headers}");
    let (text, html) = body
        .split_once("Content-Type: text/html")
        .expect("an HTML part after the text one");
    assert!(text.contains("Content-Type: text/plain"), "{text}");
    assert!(
        text.contains("About <script>alert(1)</script>."),
        "plain text reads as text: {text}"
    );
    assert!(
        html.contains("About &lt;script&gt;alert(1)&lt;/script&gt;."),
        "values are escaped: {html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("<p class=\"signature\">The Fixture team</p>"),
        "the signature: {html}"
    );
}

#[apply(backends)]
async fn an_approved_call_reaches_the_voice_webhook_signed(#[case] backend: Backend) {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let key = b"a key only the provider and the inbox know";
    let receiver = SignedReceiver::start(key, app.clock.clone()).await;
    let secret = format!("whsec_{}", STANDARD.encode(key));
    let outbound = Outbound::default()
        .with_voice_webhook(&receiver.url, &secret)
        .expect("a webhook");
    let call = call_proposal(&fixture);
    let (status, action) = app.propose(&call).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = action["id"].as_str().expect("id").to_owned();
    let (status, approved) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(approved["status"], "approved");

    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    deliver_one(&app, &outbound).await;

    let accepted = receiver.accepted.lock().expect("accepted").clone();
    assert_eq!(
        accepted.len(),
        1,
        "one call, signed so the receiver took it"
    );
    let (headers, body) = &accepted[0];
    let payload: Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(payload["action_id"], id.as_str());
    assert_eq!(payload["to"], "+44 7700 900123");
    assert_eq!(payload["script"], "Hi Zoë, about invoice 1234.");
    assert_eq!(payload["tone"], "friendly");
    assert_eq!(payload["estimated_duration_seconds"], 90);
    assert_eq!(deliveries(&app).await[0]["provider_id"], "call-42");

    // What a forger or a replayer sends is refused by the same receiver.
    let send = |body: Vec<u8>| {
        app.client
            .post(&receiver.url)
            .headers(headers.clone())
            .body(body)
            .send()
    };
    let mut forged = body.clone();
    forged.extend_from_slice(b" ");
    assert_eq!(
        send(forged).await.expect("sent").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(body.clone()).await.expect("sent").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(receiver.accepted.lock().expect("accepted").len(), 1);
}

#[apply(backends)]
async fn an_undone_approval_is_pending_again_and_never_sent(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(UNDO_WINDOW - Duration::seconds(1));

    let (status, undone) = app.review(&id, "undo", json!(null)).await;

    assert_eq!(status, StatusCode::OK, "{undone}");
    assert_eq!(undone["status"], "pending");
    assert!(
        undone["decisions"]["approved_at"].is_null(),
        "no longer counts as approved"
    );
    assert_eq!(deliveries(&app).await[0]["state"], "cancelled");
    let (_, metrics) = app.get_json("/api/v1/metrics").await;
    assert_eq!(metrics["approved_today"], 0, "{metrics}");
    app.clock.advance(Duration::minutes(5));
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(0));
    assert_eq!(
        event_kinds(&app, &id).await,
        ["proposed", "approved", "undone"]
    );
    let (status, _) = app.review(&id, "undo", json!(null)).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a pending action has nothing to undo"
    );

    // Approved again, it is sent again: a new delivery, after a new window.
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));
}

#[apply(backends)]
async fn after_the_undo_window_it_was_sent(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));

    let (status, problem) = app.review(&id, "undo", json!(null)).await;

    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["current_status"], "approved");
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|detail| detail.contains("sent already")));
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));
}

#[apply(backends)]
async fn an_undo_at_the_end_of_the_window_is_too_late(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    app.clock.advance(UNDO_WINDOW);

    let (status, problem) = app.review(&id, "undo", json!(null)).await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|detail| detail.contains("sent already")));
    assert_eq!(
        deliver(&app, &Outbound::default()).await,
        sent(1),
        "a worker may take it at that very moment"
    );
}

/// `detail` of an undo's 409, alone and in bulk, which must say the same.
async fn refused_undo(app: &TestApp, id: &str) -> String {
    let (status, problem) = app.review(id, "undo", json!(null)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["current_status"], "approved");
    let (status, bulk) = app
        .post_json("/api/v1/actions/bulk", &json!({"op": "undo", "ids": [id]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    assert_eq!(bulk["results"][0]["ok"], false, "{bulk}");
    assert_eq!(bulk["results"][0]["error"]["detail"], problem["detail"]);
    problem["detail"].as_str().expect("detail").to_owned()
}

#[apply(backends)]
async fn an_approval_whose_send_was_attempted_can_no_longer_be_undone(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    let down = unreachable_smtp();
    assert_eq!(deliver(&app, &down).await.retrying, 1);
    let retrying = &deliveries(&app).await[0];
    assert_eq!(retrying["state"], "scheduled");
    let retry_at =
        chrono::DateTime::parse_from_rfc3339(retrying["deliver_at"].as_str().expect("a time"))
            .expect("RFC 3339");
    assert!(
        retry_at > app.now(),
        "its retry waits in the future, which is no new undo window: {retrying}"
    );

    let detail = refused_undo(&app, &id).await;

    assert!(detail.contains("already attempted"), "{detail}");
    let (_, action) = app.get_action(&id).await;
    assert_eq!(action["status"], "approved");
    assert_eq!(
        deliveries(&app).await[0]["state"],
        "scheduled",
        "still retried"
    );

    // Failed for good, it was not sent, and cannot be undone either.
    for _ in 1..inbox_domain::delivery::MAX_ATTEMPTS {
        app.clock.advance(Duration::hours(2));
        deliver(&app, &down).await;
    }
    assert_eq!(deliveries(&app).await[0]["state"], "failed");

    let detail = refused_undo(&app, &id).await;

    assert!(detail.contains("failed"), "{detail}");
    assert!(!detail.contains("sent already"), "{detail}");
    let kinds = event_kinds(&app, &id).await;
    assert!(!kinds.contains(&"undone".to_owned()), "{kinds:?}");
}

#[apply(backends)]
async fn an_undo_loses_to_a_worker_that_took_the_message_first(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    // The worker claimed it (a clock a little ahead of the server's), but has not sent it yet.
    let claimed = inbox_api::db::deliveries::claim_due(
        &app.db,
        app.now() + UNDO_WINDOW + Duration::seconds(1),
        Duration::seconds(60),
        10,
    )
    .await
    .expect("claimed");
    assert_eq!(claimed.len(), 1);

    let (status, _) = app.review(&id, "undo", json!(null)).await;

    assert_eq!(status, StatusCode::CONFLICT, "it is on its way");
    let (_, action) = app.get_action(&id).await;
    assert_eq!(action["status"], "approved");
    assert_eq!(deliveries(&app).await[0]["state"], "sending");
}

#[apply(backends)]
async fn two_workers_racing_over_many_approvals_send_each_once(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    approve_in_bulk(&app, &fixture, std::iter::repeat_n(30, 200)).await;
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));

    // Two servers' workers: each its own connection pool, the same database.
    let other_pool = inbox_api::db::connect(app.database_url())
        .await
        .expect("a second pool");
    let outbound = Outbound::default();
    let now = app.now();
    let (first, second) = tokio::join!(
        run_once(&app.db, &app.bus, &outbound, now),
        run_once(&other_pool, &app.bus, &outbound, now)
    );
    let (first, second) = (first.expect("first worker"), second.expect("second worker"));

    assert_eq!(first.sent + second.sent, 200, "{first:?} {second:?}");
    let (_, page) = app.get_json("/api/v1/deliveries?state=sent&limit=1").await;
    assert_eq!(page["total"], 200);
    use inbox_api::db::entities::action_events;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let sent_events = action_events::Entity::find()
        .filter(action_events::Column::Kind.eq(inbox_domain::EventKind::Sent))
        .count(&app.db)
        .await
        .expect("counted");
    assert_eq!(sent_events, 200, "one `sent` per action");
}

/// Lets the fixture's agent act alone on `action_type` from 80 % confidence, and proposes from
/// then on with the agent's own key (only its proposals may act alone).
async fn trust(app: &TestApp, fixture: &Fixture, action_type: &str) {
    let (status, agent) = app
        .patch_json(
            &format!("/api/v1/agents/{}", fixture.agent.id),
            &json!({"auto_execute": [action_type], "auto_execute_min_confidence": 80}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{agent}");
    app.use_token(
        &app.key(fixture.location.id, Scope::ALL, Some(fixture.agent.id))
            .await,
    );
}

#[apply(backends)]
async fn a_trusted_agents_draft_with_an_unfilled_placeholder_waits_for_review(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    trust(&app, &fixture, "draft_message").await;
    let mut body = proposal(&fixture);
    body["body"] = json!("<p>Please pay {{amount_due}}.</p>");

    let (status, action) = app.propose(&body).await;

    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["status"], "pending", "a person must fill it in");
    assert_eq!(
        action["history"][0]["data"]["held_for_review"],
        "no value for amount_due"
    );
    assert!(deliveries(&app).await.is_empty());
}

#[apply(backends)]
async fn a_trusted_agents_call_leaves_when_the_location_opens(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let monday_nine = closed_for_the_weekend(&app, &fixture).await;
    trust(&app, &fixture, "voice_outreach").await;
    let call = call_proposal(&fixture);

    let (status, action) = app.propose(&call).await;

    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["status"], "auto_executed");
    assert_eq!(deliveries(&app).await[0]["deliver_at"], json!(monday_nine));
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(0), "closed");
    app.clock.set(monday_nine);
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));
}

#[apply(backends)]
async fn a_trusted_agents_held_proposal_is_auto_executed_when_released(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    trust(&app, &fixture, "draft_message").await;
    let mut held = proposal(&fixture);
    held["not_before"] = json!(app.now() + Duration::hours(1));
    let mut unfilled = held.clone();
    unfilled["body"] = json!("<p>Please pay {{amount_due}}.</p>");

    let (status, action) = app.propose(&held).await;
    let (_, placeholder) = app.propose(&unfilled).await;

    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["status"], "deferred", "held until not_before");
    assert!(deliveries(&app).await.is_empty());
    app.clock.advance(Duration::hours(1));
    let swept = app.sweep().await;
    assert_eq!((swept.auto_executed, swept.released), (1, 1), "{swept:?}");
    let id = action["id"].as_str().expect("id");
    let (_, executed) = app.get_action(id).await;
    assert_eq!(
        executed["status"], "auto_executed",
        "not dropped to pending"
    );
    assert_eq!(
        event_kinds(&app, id).await,
        ["proposed", "deferral_elapsed", "auto_executed"]
    );
    assert_eq!(
        executed["history"][2]["actor"],
        format!("agent:{}", fixture.agent.id)
    );
    assert!(executed["decisions"]["auto_executed_at"].is_string());
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));
    // The same gates as a person's approval: an unfilled placeholder keeps it for review.
    let id = placeholder["id"].as_str().expect("id");
    let (_, pending) = app.get_action(id).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        pending["history"][1]["data"]["held_for_review"],
        "no value for amount_due"
    );
}

#[apply(backends)]
async fn email_goes_over_tls_from_the_start_or_after_starttls_to_a_trusted_server(
    #[case] backend: Backend,
) {
    let ca = TestCa::new();
    let (cert, key) = (ca.file("server.pem"), ca.file("server.key"));
    let smtps = SmtpServer::start_with(&["--smtpscert", &cert, "--smtpskey", &key]).await;
    // With a certificate, aiosmtpd refuses mail until the client has said STARTTLS.
    let starttls = SmtpServer::start_with(&["--tlscert", &cert, "--tlskey", &key]).await;
    for (server, url) in [
        (&smtps, format!("smtps://127.0.0.1:{}", smtps.port)),
        (
            &starttls,
            format!("smtp://127.0.0.1:{}?tls=required", starttls.port),
        ),
    ] {
        let (app, _, _) = app_with_proposal(backend).await;
        let (_, page) = app.list("").await;
        let id = page["items"][0]["id"].as_str().expect("id").to_owned();
        app.review(&id, "approve", json!({})).await;
        app.clock.advance(UNDO_WINDOW + Duration::seconds(1));

        // A certificate nobody vouches for is not trusted: the message waits to be retried.
        let untrusting = Outbound::new(Some(&url), None).expect("a TLS URL");
        let report = deliver(&app, &untrusting).await;
        assert_eq!(report.retrying, 1, "{url}: {report:?}");
        assert!(server.messages().is_empty());

        // Trusting the CA that signed it, the retry goes through.
        let trusting = Outbound::new(Some(&url), Some(&ca.ca_pem())).expect("a TLS URL");
        app.clock.advance(Duration::minutes(5));
        deliver_one(&app, &trusting).await;
        assert_eq!(server.messages().len(), 1, "{url}");
        let kinds = event_kinds(&app, &id).await;
        assert_eq!(kinds[2..], ["delivery_attempt_failed", "sent"], "{url}");
    }
    assert!(
        Outbound::new(Some("smtp://127.0.0.1:25"), Some(&ca.ca_pem())).is_err(),
        "a CA is only for a TLS connection"
    );
}

#[apply(backends)]
async fn an_edited_approval_sends_the_edited_text_rendered(#[case] backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, _, id) = app_with_proposal(backend).await;

    let (status, approved) = app
        .review(
            &id,
            "approve",
            json!({
                "subject": "Invoice {{invoice_number}}: two payments instead",
                "body": "<p>We can split invoice {{invoice_number}} in two.</p>",
            }),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    let delivery = &deliveries(&app).await[0];
    assert_eq!(delivery["subject"], "Invoice 1234: two payments instead");
    let html = delivery["body_html"].as_str().expect("HTML");
    assert!(
        html.contains("<p>We can split invoice 1234 in two.</p>"),
        "{html}"
    );
    assert!(!html.contains("overdue"), "not the agent's draft: {html}");
    let text = delivery["body_text"].as_str().expect("text");
    assert!(text.contains("We can split invoice 1234 in two."), "{text}");

    let outbound =
        Outbound::new(Some(&format!("smtp://127.0.0.1:{}", smtp.port)), None).expect("URL");
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    deliver_one(&app, &outbound).await;

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let message = messages[0]
        .replace("\r\n", "\n")
        .replace("=\n", "")
        .replace("=3D", "=");
    let (headers, body) = message.split_once("\n\n").expect("headers and a body");
    assert!(
        headers.contains("Subject: Invoice 1234: two payments instead"),
        "{headers}"
    );
    let (text, html) = body
        .split_once("Content-Type: text/html")
        .expect("a text and an HTML part");
    assert!(text.contains("We can split invoice 1234 in two."), "{text}");
    assert!(
        html.contains("<p>We can split invoice 1234 in two.</p>"),
        "{html}"
    );
    assert!(!message.contains("overdue"), "{message}");
}

/// Approving `id` is refused with a 422 naming `field`, and changes nothing.
async fn assert_refused_before_approval(app: &TestApp, id: &str, field: &str, why: &str) {
    let (status, problem) = app.review(id, "approve", json!({})).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "{problem}");
    let (_, action) = app.get_action(id).await;
    assert_eq!(action["status"], "pending");
    assert_eq!(event_kinds(app, id).await, ["proposed"]);
    assert!(deliveries(app).await.is_empty());
}

#[apply(backends)]
async fn a_call_to_a_customer_without_a_phone_number_is_refused_before_it_is_approved(
    #[case] backend: Backend,
) {
    use inbox_api::db::entities::customers;
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (status, call) = app.propose(&call_proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    customers::Entity::update_many()
        .col_expr(customers::Column::Phone, Expr::value("  "))
        .filter(customers::Column::Id.eq(fixture.customer.id))
        .exec(&app.db)
        .await
        .expect("phone blanked");

    let id = call["id"].as_str().expect("id");
    assert_refused_before_approval(&app, id, "customer_id", "no phone number").await;
}

#[apply(backends)]
async fn an_email_from_a_location_without_a_sending_address_is_refused_before_it_is_approved(
    #[case] backend: Backend,
) {
    use inbox_api::db::entities::locations;
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    let (app, fixture, id) = app_with_proposal(backend).await;
    locations::Entity::update_many()
        .col_expr(locations::Column::SendingAddress, Expr::value(" "))
        .filter(locations::Column::Id.eq(fixture.location.id))
        .exec(&app.db)
        .await
        .expect("sending address blanked");

    assert_refused_before_approval(&app, &id, "sending_address", "no sending address").await;
}

#[apply(backends)]
async fn the_deliveries_page_by_cursor_without_duplicates_or_holes(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    approve_in_bulk(&app, &fixture, [50, 40, 30, 20, 10]).await;
    let everything = item_ids(&deliveries(&app).await);
    assert_eq!(everything.len(), 5);

    let mut walked = Vec::new();
    let mut sizes = Vec::new();
    let mut path = "/api/v1/deliveries?limit=2".to_owned();
    loop {
        let (status, page) = app.get_json(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 5, "{page}");
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        walked.extend(item_ids(items));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/deliveries?limit=2&cursor={cursor}"),
            None => break,
        }
    }

    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(walked, everything, "every delivery once, newest first");
}

#[apply(backends)]
async fn a_retried_delivery_shows_in_the_history_with_who_retried_it(#[case] backend: Backend) {
    let (app, fixture, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    let down = unreachable_smtp();
    for _ in 0..inbox_domain::delivery::MAX_ATTEMPTS {
        app.clock.advance(Duration::hours(2));
        deliver(&app, &down).await;
    }
    let failed = &deliveries(&app).await[0];
    assert_eq!(failed["state"], "failed");
    let delivery_id = failed["id"].as_str().expect("id").to_owned();
    app.use_token(
        &app.key(
            fixture.location.id,
            &[Scope::ActionsRead, Scope::ActionsReview],
            None,
        )
        .await,
    );
    let (_, me) = app.get_json("/api/v1/auth/me").await;
    let reviewer = format!("key:{}", me["api_key"]["id"].as_str().expect("a key"));
    app.clock.advance(Duration::minutes(3));
    let retried_at = app.now();

    let (status, again) = app
        .post_json(
            &format!("/api/v1/deliveries/{delivery_id}/retry"),
            &json!({}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{again}");
    let (_, detail) = app.get_action(&id).await;
    let history = detail["history"].as_array().expect("history");
    let entry = history.last().expect("an entry");
    assert_eq!(entry["kind"], "delivery_retried", "{entry}");
    assert_eq!(entry["actor"], reviewer, "who retried it");
    assert_eq!(entry["occurred_at"], json!(retried_at));
    assert_eq!(entry["data"]["delivery_id"], delivery_id.as_str());
    assert!(entry["data"]["last_error"].is_string(), "{entry}");
    assert_eq!(deliver(&app, &Outbound::default()).await, sent(1));
    let kinds = event_kinds(&app, &id).await;
    assert_eq!(kinds[kinds.len() - 2..], ["delivery_retried", "sent"]);
}
