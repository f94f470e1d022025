//! Approve & Send really sends: the delivery outbox, the worker, SMTP and the built-in outbox.

use std::{path::Path, time::Duration as StdDuration};

use chrono::Duration;
use inbox_api::jobs::deliveries::{run_once, DeliveryReport, Outbound};
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::helpers::{
    app_with_proposal, backends, event_kinds, proposal, spawn_app, Backend, Fixture, TestApp,
    UNDO_WINDOW,
};

/// One delivery pass at the test's clock.
async fn deliver(app: &TestApp, outbound: &Outbound) -> DeliveryReport {
    run_once(&app.db, outbound, app.now())
        .await
        .expect("delivery pass ran")
}

/// The location's deliveries, newest first.
async fn deliveries(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/deliveries").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").clone()
}

fn sent(count: usize) -> DeliveryReport {
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
    let (status, _) = app
        .patch_json(
            &format!("/api/v1/agents/{}", fixture.agent.id),
            &json!({"auto_execute": ["draft_message"], "auto_execute_min_confidence": 80}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
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
    let summaries: Vec<&str> = customer["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|entry| entry["summary"].as_str())
        .collect();
    assert!(
        summaries.contains(&"Internal Note: Offer Zoë the quiet room on Fridays"),
        "{summaries:?}"
    );
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
        Outbound::new(Some(&format!("smtp://127.0.0.1:{closed_port}"))).expect("a valid URL");

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
    assert_eq!(
        event_kinds(&app, &id).await.last().map(String::as_str),
        Some("delivery_failed")
    );

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

/// A real SMTP server (Python's aiosmtpd) that keeps every message in a maildir.
struct SmtpServer {
    process: tokio::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    async fn start() -> SmtpServer {
        let maildir = tempfile::tempdir().expect("a maildir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = tokio::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // aiosmtpd creates the maildir only where nothing exists yet.
            .arg(maildir.path().join("mail"))
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with aiosmtpd (`just test` installs it)");
        // Ready once it accepts a connection; it takes well under the limit.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer {
                    process,
                    port,
                    maildir,
                };
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail").join("new");
        read_dir_texts(&new)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.process.start_kill();
    }
}

fn read_dir_texts(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[apply(backends)]
async fn an_smtp_server_receives_the_rendered_email_once(#[case] backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["subject"] = json!("Invoice {{invoice_number}}\r\nBcc: everyone@example.com");
    body["body"] = json!("<p>About {{invoice_number}}.</p>");
    body["variables"] = json!({"invoice_number": "<script>alert(1)</script>"});
    let (status, action) = app.propose(&body).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = action["id"].as_str().expect("id").to_owned();
    let (status, _) = app.review(&id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let outbound = Outbound::new(Some(&format!("smtp://127.0.0.1:{}", smtp.port))).expect("URL");

    assert_eq!(deliver(&app, &outbound).await, sent(0));
    assert!(smtp.messages().is_empty(), "nothing inside the undo window");
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    let report = deliver(&app, &outbound).await;
    assert_eq!(
        report,
        sent(1),
        "{:?}",
        deliveries(&app).await[0]["last_error"]
    );
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
