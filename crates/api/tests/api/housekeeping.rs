//! Housekeeping forgets what no longer matters, so that no table grows without bound:
//! idempotency keys after a day, sessions once they ended.

use chrono::{DateTime, Duration, Utc};
use inbox_api::{
    db::entities::sessions,
    jobs::housekeeping::{self, HousekeepingReport},
    services::auth,
};
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::{
    helpers::{
        app_with_proposal, backends, spawn_app, Backend, Fixture, TestApp, REVIEWER_PASSWORD,
    },
    idempotency::post_once,
};

/// One housekeeping pass at `at`.
async fn housekeep(app: &TestApp, at: DateTime<Utc>) -> HousekeepingReport {
    housekeeping::run_once(&app.db, at).await.expect("ran")
}

#[apply(backends)]
async fn an_idempotency_key_is_remembered_for_a_day(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let path = format!("/api/v1/actions/{id}/snooze");
    let snooze = |note: &str| json!({"duration": "1h", "note": note});
    let (status, _, first) = post_once(&app, &path, "snooze-1", &snooze("first")).await;
    assert_eq!(status, StatusCode::OK, "{first}");

    app.clock.advance(Duration::hours(23));
    let report = housekeep(&app, app.now()).await;
    assert_eq!(report.idempotency_keys, 0);
    let (status, _, refused) = post_once(&app, &path, "snooze-1", &snooze("other")).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another body with a remembered key: {refused}"
    );

    app.clock.advance(Duration::hours(2));
    let report = housekeep(&app, app.now()).await;
    assert_eq!(report.idempotency_keys, 1);
    let (status, replayed, answer) = post_once(&app, &path, "snooze-1", &snooze("other")).await;
    assert_ne!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(!replayed, "a new request");
}

#[apply(backends)]
async fn a_session_is_forgotten_once_it_ended(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    fixture.reviewer(&app, "sam@example.com").await;
    auth::sign_in(
        &app.db,
        "sam@example.com",
        REVIEWER_PASSWORD,
        app.now(),
        Duration::hours(1),
    )
    .await
    .expect("signed in");
    let sessions = || sessions::Entity::find().count(&app.db);

    let report = housekeep(&app, app.now() + Duration::minutes(59)).await;
    assert_eq!(
        (report.sessions, sessions().await.expect("counted")),
        (0, 1)
    );
    let report = housekeep(&app, app.now() + Duration::minutes(61)).await;
    assert_eq!(
        (report.sessions, sessions().await.expect("counted")),
        (1, 0)
    );
}
