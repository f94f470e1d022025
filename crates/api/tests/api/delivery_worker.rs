//! The delivery worker when something goes wrong: a worker that died holding a message, an SMTP
//! server that refuses it for good, one that wants a password.

use chrono::Duration;
use inbox_api::jobs::deliveries::{DeliveryReport, Outbound};
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::json;

use crate::{
    deliveries::{deliver, deliver_one, deliveries, sent},
    helpers::{app_with_proposal, backends, event_kinds, Backend, UNDO_WINDOW},
    outside::SmtpServer,
};

/// Email to `smtp`, with `credentials` (`user:password@`) when given.
fn smtp_outbound(smtp: &SmtpServer, credentials: &str) -> Outbound {
    let url = format!("smtp://{credentials}127.0.0.1:{}", smtp.port);
    Outbound::new(Some(&url), None).expect("a valid URL")
}

#[apply(backends)]
async fn a_message_held_by_a_worker_that_died_is_sent_once_when_its_lease_runs_out(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    let lease = Duration::minutes(10);
    // A worker claims it, then dies before it sends or records anything.
    let dead = inbox_api::db::deliveries::claim_due(&app.db, app.now(), lease, 10)
        .await
        .expect("claimed");
    assert_eq!(dead.len(), 1);
    let outbound = smtp_outbound(&smtp, "");

    assert_eq!(
        deliver(&app, &outbound).await,
        sent(0),
        "not while the lease holds"
    );
    app.clock.advance(lease + Duration::seconds(1));
    deliver_one(&app, &outbound).await;
    assert_eq!(deliver(&app, &outbound).await, sent(0), "exactly once");

    assert_eq!(smtp.messages().len(), 1);
    let delivered = &deliveries(&app).await[0];
    assert_eq!(delivered["state"], "sent");
    assert_eq!(delivered["attempts"], 1);
    // Were the dead worker to come back and record its send, it would not count twice.
    inbox_api::db::deliveries::record_sent(&app.db, &dead[0], None, app.now())
        .await
        .expect("recorded");
    assert_eq!(
        event_kinds(&app, &id).await,
        ["proposed", "approved", "sent"]
    );
}

#[apply(backends)]
async fn a_message_the_smtp_server_refuses_for_good_fails_after_one_attempt(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start_scripted(&["--refuse", "550 5.7.1 Refused by policy"]).await;
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    let outbound = smtp_outbound(&smtp, "");

    let report = deliver(&app, &outbound).await;

    let failed = DeliveryReport {
        failed: 1,
        ..DeliveryReport::default()
    };
    assert_eq!(report, failed);
    let delivery = &deliveries(&app).await[0];
    assert_eq!(delivery["state"], "failed");
    assert_eq!(delivery["attempts"], 1);
    assert!(
        delivery["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("Refused by policy")),
        "{delivery}"
    );
    assert_eq!(
        event_kinds(&app, &id).await,
        ["proposed", "approved", "delivery_failed"]
    );
    app.clock.advance(Duration::hours(2));
    assert_eq!(
        deliver(&app, &outbound).await,
        sent(0),
        "a refusal is not retried"
    );
    assert!(smtp.messages().is_empty());
}

#[apply(backends)]
async fn smtp_credentials_in_the_url_log_in_to_the_server(#[case] backend: Backend) {
    let smtp = SmtpServer::start_scripted(&["--auth", "inbox:s3cret"]).await;
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));

    // Without them the server refuses to take mail (530), for good.
    let report = deliver(&app, &smtp_outbound(&smtp, "")).await;
    assert_eq!(report.failed, 1, "{report:?}");
    let delivery_id = deliveries(&app).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _) = app
        .post_json(
            &format!("/api/v1/deliveries/{delivery_id}/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    deliver_one(&app, &smtp_outbound(&smtp, "inbox:s3cret@")).await;

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "accepted once logged in");
    assert!(
        messages[0].contains("To: zoe@cafe-ole.example"),
        "{}",
        messages[0]
    );
}
