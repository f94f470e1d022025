//! The read cache: a list page or an action asked for again is answered without the database
//! while nothing it shows can have changed, and never after.

use std::{sync::atomic::Ordering, time::Duration as StdDuration};

use chrono::Duration;
use inbox_api::jobs::deliveries::{run_once, Outbound};
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::helpers::{
    backends, id_of, ids, proposal, spawn_app_with, Backend, Fixture, TestApp, UNDO_WINDOW,
};

/// Longer than any test runs on its clock: only a change, a timer or a write the bus is told of
/// can make a kept answer stale.
const FOR_A_DAY: Option<StdDuration> = Some(StdDuration::from_secs(24 * 3600));

/// A server with the read cache on and one proposed action: its id and the path of its detail.
async fn cached_app_with_proposal(backend: Backend) -> (TestApp, String, String) {
    let app = spawn_app_with(backend, |settings| settings.read_cache_ttl = FOR_A_DAY).await;
    let fixture = Fixture::new(&app).await;
    let (_, action) = app.propose(&proposal(&fixture)).await;
    let id = id_of(&action).to_owned();
    let detail = format!("/api/v1/actions/{id}");
    (app, id, detail)
}

/// GETs `path` (which must answer 200); returns the body and how many statements it cost.
async fn read(app: &TestApp, path: &str) -> (Value, usize) {
    app.queries.store(0, Ordering::SeqCst);
    let (status, body) = app.get_json(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    (body, app.queries.load(Ordering::SeqCst))
}

#[apply(backends)]
async fn a_repeated_read_costs_only_the_callers_lookup(#[case] backend: Backend) {
    let (app, id, detail) = cached_app_with_proposal(backend).await;

    for path in ["/api/v1/actions?limit=50", detail.as_str()] {
        let (first, computed) = read(&app, path).await;
        let (again, reused) = read(&app, path).await;
        assert_eq!(again, first, "{path}: the same answer");
        assert!(computed > 1, "{path}: computed with {computed} statements");
        assert_eq!(reused, 1, "{path}: only the caller's key is looked up");
    }
    let (other, statements) = read(&app, "/api/v1/actions?limit=49").await;
    assert!(statements > 1, "another query is another read");
    assert_eq!(ids(&other), [id.as_str()]);
}

#[apply(backends)]
async fn a_decision_shows_at_once(#[case] backend: Backend) {
    let (app, id, detail) = cached_app_with_proposal(backend).await;
    let (pending, _) = read(&app, "/api/v1/actions").await;
    assert_eq!(ids(&pending), [id.as_str()]);
    read(&app, &detail).await;

    let (status, body) = app
        .review(
            &id,
            "reject",
            json!({"reason": "poor_timing", "expected_version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (pending, _) = read(&app, "/api/v1/actions").await;
    assert!(ids(&pending).is_empty(), "{pending}");
    assert_eq!(pending["total"], 0);
    let (action, _) = read(&app, &detail).await;
    assert_eq!(action["status"], "rejected");
}

/// A snooze ends by the clock alone, with no write until the sweep: the answer kept before says
/// when it stops being true.
#[apply(backends)]
async fn a_snooze_ending_shows_at_once_without_a_sweep(#[case] backend: Backend) {
    let (app, id, detail) = cached_app_with_proposal(backend).await;
    let (status, body) = app.review(&id, "snooze", json!({"duration": "1h"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (pending, _) = read(&app, "/api/v1/actions").await;
    assert!(ids(&pending).is_empty(), "{pending}");

    app.clock.advance(Duration::minutes(59));
    let (pending, statements) = read(&app, "/api/v1/actions").await;
    assert!(ids(&pending).is_empty(), "{pending}");
    assert_eq!(statements, 1, "still snoozed: the kept page");

    app.clock.advance(Duration::minutes(1));
    let (pending, _) = read(&app, "/api/v1/actions").await;
    assert_eq!(ids(&pending), [id.as_str()], "{pending}");
    let (action, _) = read(&app, &detail).await;
    assert_eq!(action["status"], "pending");

    // Still unswept, its next change is its expiry, which its stored timer no longer says.
    let expires_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(action["expires_at"].clone()).expect("an expiry");
    app.clock.advance(expires_at - app.now());
    let (pending, _) = read(&app, "/api/v1/actions").await;
    assert!(ids(&pending).is_empty(), "expired: {pending}");
    let (action, _) = read(&app, &detail).await;
    assert_eq!(action["status"], "expired");
}

/// The delivery worker's attempts are not announced to the streams, but a page kept from before
/// a send is not reused after it.
#[apply(backends)]
async fn a_message_leaving_shows_at_once(#[case] backend: Backend) {
    let (app, id, _) = cached_app_with_proposal(backend).await;
    let (status, body) = app
        .review(&id, "approve", json!({"expected_version": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (page, _) = read(&app, "/api/v1/actions?status=approved").await;
    assert_eq!(page["items"][0]["delivery_state"], "scheduled", "{page}");

    app.clock.advance(UNDO_WINDOW + Duration::seconds(1));
    let report = run_once(&app.db, &app.bus, &Outbound::default(), app.now())
        .await
        .expect("delivery pass ran");
    assert_eq!(report.sent, 1);

    let (page, _) = read(&app, "/api/v1/actions?status=approved").await;
    assert_eq!(page["items"][0]["delivery_state"], "sent", "{page}");
}

/// An outcome or a customer's reply is not a status change the streams carry, but an action
/// kept from before it is not reused after it.
#[apply(backends)]
async fn an_outcome_and_a_reply_show_at_once(#[case] backend: Backend) {
    let (app, id, detail) = cached_app_with_proposal(backend).await;
    app.review(&id, "approve", json!({})).await;
    let (before, _) = read(&app, &detail).await;
    assert_eq!(before["outcomes"], json!([]));

    let outcome = json!({"kind": "payment_made", "occurred_at": app.now(), "data": {}});
    let (status, body) = app.review(&id, "outcome", outcome).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (after, _) = read(&app, &detail).await;
    assert_eq!(after["outcomes"][0]["kind"], "payment_made", "{after}");

    let reply = json!({"conversation_id": "conv_1", "excerpt": "Paid.", "received_at": app.now()});
    let (status, body) = app.review(&id, "responses", reply).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (after, _) = read(&app, &detail).await;
    assert_eq!(
        after["responses"][0]["conversation_id"], "conv_1",
        "{after}"
    );
}
