//! Housekeeping forgets what no longer matters, so that no table grows without bound:
//! idempotency keys after a day, sessions once they ended.

use chrono::Duration;
use inbox_api::{db::entities::sessions, jobs::housekeeping, services::auth};
use inbox_domain::auth::Role;
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::{
    helpers::{app_with_proposal, backends, spawn_app, Backend, Fixture},
    idempotency::post_once,
};

#[apply(backends)]
async fn an_idempotency_key_is_remembered_for_a_day(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let path = format!("/api/v1/actions/{id}/snooze");
    let snooze = |note: &str| json!({"duration": "1h", "note": note});
    let (status, _, first) = post_once(&app, &path, "snooze-1", &snooze("first")).await;
    assert_eq!(status, StatusCode::OK, "{first}");

    app.clock.advance(Duration::hours(23));
    let report = housekeeping::run_once(&app.db, app.now())
        .await
        .expect("ran");
    assert_eq!(report.idempotency_keys, 0);
    let (status, _, refused) = post_once(&app, &path, "snooze-1", &snooze("other")).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another body with a remembered key: {refused}"
    );

    app.clock.advance(Duration::hours(2));
    let report = housekeeping::run_once(&app.db, app.now())
        .await
        .expect("ran");
    assert_eq!(report.idempotency_keys, 1);
    let (status, replayed, answer) = post_once(&app, &path, "snooze-1", &snooze("other")).await;
    assert_ne!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(!replayed, "a new request");
}

#[apply(backends)]
async fn a_session_is_forgotten_once_it_ended(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let password = "correct horse battery staple";
    auth::create_user(
        &app.db,
        fixture.location.id,
        "sam@example.com",
        "Sam",
        Role::Reviewer,
        password,
        app.now(),
    )
    .await
    .expect("user");
    let sign_in = || {
        auth::sign_in(
            &app.db,
            "sam@example.com",
            password,
            app.now(),
            Duration::hours(1),
        )
    };
    sign_in().await.expect("signed in");
    let sessions = || sessions::Entity::find().count(&app.db);

    let report = housekeeping::run_once(&app.db, app.now() + Duration::minutes(59))
        .await
        .expect("ran");
    assert_eq!(
        (report.sessions, sessions().await.expect("counted")),
        (0, 1)
    );
    let report = housekeeping::run_once(&app.db, app.now() + Duration::minutes(61))
        .await
        .expect("ran");
    assert_eq!(
        (report.sessions, sessions().await.expect("counted")),
        (1, 0)
    );
}
