//! `Idempotency-Key` on the review verbs: a client that lost the response to an approval, alone
//! or in bulk, retries it, and each message is still sent once.

use inbox_api::db::entities::action_events;
use inbox_domain::EventKind;
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::{
    deliveries::deliveries,
    helpers::{
        app_with_proposal, backends, lose_stored_responses, spawn_app, Backend, Fixture, TestApp,
    },
};

/// POSTs `body` to `path` with `Idempotency-Key: key`; the status, whether it was a replay, and
/// the JSON body.
pub(crate) async fn post_once(
    app: &TestApp,
    path: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, bool, Value) {
    let response = app
        .request(reqwest::Method::POST, path)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (status, replayed, response.json().await.expect("JSON"))
}

async fn approved_events(app: &TestApp) -> u64 {
    action_events::Entity::find()
        .filter(action_events::Column::Kind.eq(EventKind::Approved))
        .count(&app.db)
        .await
        .expect("counted")
}

#[apply(backends)]
async fn a_retried_approval_whose_response_was_lost_is_sent_once(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let path = format!("/api/v1/actions/{id}/approve");
    let body = json!({"expected_version": 1});

    let (status, replayed, first) = post_once(&app, &path, "approve-1", &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(!replayed);
    let (status, replayed, replay) = post_once(&app, &path, "approve-1", &body).await;

    assert_eq!(status, StatusCode::OK, "not a 409 for a stale version");
    assert!(replayed);
    assert_eq!(replay, first, "the first response");
    // Even when the stored response is gone, a retry is not applied again.
    lose_stored_responses(&app).await;
    let (status, replayed, current) = post_once(&app, &path, "approve-1", &body).await;
    assert_eq!(status, StatusCode::OK, "{current}");
    assert!(replayed);
    assert_eq!(current["id"], id.as_str());
    assert_eq!(current["status"], "approved");
    assert_eq!(deliveries(&app).await.len(), 1, "one message");
    assert_eq!(approved_events(&app).await, 1);
}

#[apply(backends)]
async fn a_retried_bulk_approval_whose_response_was_lost_sends_each_once(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let ids: Vec<String> = fixture
        .actions_minutes_ago(&app, [30, 20, 10])
        .await
        .iter()
        .map(|action| action.id.to_string())
        .collect();
    let body = json!({"op": "approve", "ids": ids});
    let path = "/api/v1/actions/bulk";

    let (status, _, first) = post_once(&app, path, "bulk-1", &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(first["results"]
        .as_array()
        .expect("results")
        .iter()
        .all(|result| result["ok"] == true));
    let (status, replayed, replay) = post_once(&app, path, "bulk-1", &body).await;

    assert_eq!(status, StatusCode::OK);
    assert!(replayed);
    assert_eq!(replay, first, "the first response");
    lose_stored_responses(&app).await;
    let (status, replayed, problem) = post_once(&app, path, "bulk-1", &body).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "applied, never again: {problem}"
    );
    assert!(!replayed, "a problem, not the first response");
    let delivered = deliveries(&app).await;
    assert_eq!(delivered.len(), 3, "one message per action");
    let mut actions: Vec<&str> = delivered
        .iter()
        .filter_map(|delivery| delivery["action_id"].as_str())
        .collect();
    actions.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(actions, expected);
    assert_eq!(approved_events(&app).await, 3);
}

#[apply(backends)]
async fn a_lost_bulk_response_for_one_id_is_not_answered_with_the_actions_detail(
    #[case] backend: Backend,
) {
    let (app, _, id) = app_with_proposal(backend).await;
    let body = json!({"op": "approve", "ids": [id]});
    let (status, _, first) = post_once(&app, "/api/v1/actions/bulk", "bulk-one", &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    lose_stored_responses(&app).await;

    let (status, _, answer) = post_once(&app, "/api/v1/actions/bulk", "bulk-one", &body).await;

    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a bulk answer is a list of results, never one action: {answer}"
    );
    assert_eq!(deliveries(&app).await.len(), 1);
    assert_eq!(approved_events(&app).await, 1);
}

/// A client that retries in a storm: 100 copies of one proposal with one key, all at once. It is
/// proposed once and every copy gets the same answer; the key with another body is a 422.
#[apply(backends)]
async fn a_storm_of_one_request_executes_once_and_answers_alike(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let body = crate::helpers::proposal(&fixture);
    let answers = futures_util::future::join_all(
        (0..100).map(|_| post_once(&app, "/api/v1/actions", "storm-1", &body)),
    )
    .await;
    let (status, _, first) = &answers[0];
    assert_eq!(*status, StatusCode::CREATED, "{first}");
    for (status, _, answer) in &answers {
        assert_eq!((status, answer), (&StatusCode::CREATED, first));
    }
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1
    );
    assert_eq!(crate::helpers::action_count(&app).await, 1, "proposed once");

    let mut other = body.clone();
    other["subject"] = json!("Another request");
    let (status, _, problem) = post_once(&app, "/api/v1/actions", "storm-1", &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(crate::helpers::action_count(&app).await, 1);
}
