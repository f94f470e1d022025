//! Just before a message leaves it is checked again: what its customer did since it was
//! proposed, and the agent's precondition URL, can stop it.

use chrono::Duration;
use inbox_api::jobs::deliveries::{DeliveryReport, Outbound};
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::{
    deliveries::deliver,
    helpers::{backends, event_kinds, id_of, proposal, spawn_app, Backend, Fixture},
    outside::PreconditionServer,
};

fn report(sent: usize, retrying: usize, stopped: usize) -> DeliveryReport {
    DeliveryReport {
        sent,
        retrying,
        stopped,
        ..DeliveryReport::default()
    }
}

#[apply(backends)]
async fn a_message_made_moot_after_its_proposal_is_stopped_not_sent(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let outbound = Outbound::new(None, None).expect("the built-in outbox");
    let earlier = fixture
        .action(&app, app.now() - Duration::days(2), |_| {})
        .await
        .id;
    app.review(earlier, "approve", json!({})).await;
    app.clock.advance(Duration::minutes(1));
    assert_eq!(deliver(&app, &outbound).await, report(1, 0, 0));

    let reminder = fixture.action(&app, app.now(), |_| {}).await.id;
    let informed = fixture.action(&app, app.now(), |_| {}).await.id;
    let (status, approved) = app.review(reminder, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    // Before it leaves, the customer pays: reported on the earlier message.
    app.clock.advance(Duration::seconds(5));
    let (status, outcome) = app
        .post_json(
            &format!("/api/v1/actions/{earlier}/outcome"),
            &json!({"kind": "payment_made", "occurred_at": app.now()}),
        )
        .await;
    assert!(status.is_success(), "{outcome}");
    app.clock.advance(Duration::seconds(55));
    assert_eq!(deliver(&app, &outbound).await, report(0, 0, 1));

    let (_, detail) = app.get_action(reminder).await;
    assert_eq!(detail["status"], "approved");
    assert_eq!(detail["delivery"]["state"], "stopped", "{detail}");
    assert_eq!(
        detail["delivery"]["last_error"],
        "Not sent: the customer's “payment made” was reported after this was approved."
    );
    assert_eq!(
        event_kinds(&app, &reminder.to_string())
            .await
            .last()
            .map(String::as_str),
        Some("delivery_stopped")
    );
    let (status, problem) = app.review(reminder, "undo", json!(null)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"]
        .as_str()
        .expect("why")
        .contains("nothing was sent"));

    // Approved after the payment was reported (the panel showed it), or proposed after it, a
    // message was meant as it is: it leaves.
    app.review(informed, "approve", json!({})).await;
    let later = fixture.action(&app, app.now(), |_| {}).await.id;
    app.review(later, "approve", json!({})).await;
    app.clock.advance(Duration::minutes(1));
    assert_eq!(deliver(&app, &outbound).await, report(2, 0, 0));
    let (_, page) = app.get_json("/api/v1/deliveries?state=stopped").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
}

#[apply(backends)]
async fn the_agents_precondition_url_is_asked_just_before_the_message_leaves(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let outbound = Outbound::new(None, None).expect("the built-in outbox");
    let precondition = PreconditionServer::start().await;
    let propose = || async {
        let mut body = proposal(&fixture);
        body["precondition_url"] = json!(precondition.url);
        let (status, action) = app.propose(&body).await;
        assert_eq!(status, StatusCode::CREATED, "{action}");
        id_of(&action).to_owned()
    };
    let state_of = |detail: &Value| detail["delivery"]["state"].clone();

    // Unreachable for now: a failed attempt, tried again later.
    let first = propose().await;
    app.review(&first, "approve", json!({})).await;
    precondition.answer(503);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(deliver(&app, &outbound).await, report(0, 1, 0));
    assert_eq!(precondition.times_asked(), 1, "asked only when it was due");
    precondition.answer(200);
    app.clock.advance(Duration::hours(2));
    assert_eq!(deliver(&app, &outbound).await, report(1, 0, 0));
    assert_eq!(state_of(&app.get_action(&first).await.1), "sent");

    // No longer holds: stopped.
    let second = propose().await;
    app.review(&second, "approve", json!({})).await;
    precondition.answer(412);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(deliver(&app, &outbound).await, report(0, 0, 1));
    let (_, detail) = app.get_action(&second).await;
    assert_eq!(state_of(&detail), "stopped");
    assert_eq!(
        detail["delivery"]["last_error"],
        "Not sent: the agent's precondition no longer holds (its URL answered 412 Precondition Failed)."
    );

    // A URL that is not one is refused with the proposal, which changes nothing.
    let mut bad = proposal(&fixture);
    bad["precondition_url"] = json!("ftp://billing.example/1234");
    let (status, problem) = app.propose(&bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(crate::helpers::error_fields(&problem), ["precondition_url"]);
}
