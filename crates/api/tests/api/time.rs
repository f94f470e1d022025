use chrono::Duration;
use inbox_api::{db::entities::action_events, jobs};
use inbox_domain::ActionStatus;
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{
    app_with_proposal, backends, call_proposal, closed_for_the_weekend, event_kinds, id_of,
    proposal, spawn_app, Backend, Fixture,
};

#[apply(backends)]
async fn a_snoozed_action_returns_to_pending_when_its_time_comes(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "snooze", json!({"duration": "1h"})).await;

    app.clock.advance(Duration::minutes(59));
    assert_eq!(app.sweep().await, jobs::SweepReport::default(), "not yet");
    app.clock.advance(Duration::minutes(1));
    assert_eq!(app.sweep().await.woke, 1);

    let (_, detail) = app.get_action(&id).await;
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["history"][2]["actor"], "system");
    assert_eq!(
        event_kinds(&app, &id).await,
        ["proposed", "snoozed", "snooze_elapsed"]
    );
    assert_eq!(
        app.sweep().await,
        jobs::SweepReport::default(),
        "nothing happens twice"
    );
}

#[apply(backends)]
async fn a_deferred_action_is_released_at_its_time(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["not_before"] = json!(app.now() + Duration::hours(3));
    let (_, action) = app.propose(&body).await;
    let id = id_of(&action);

    let (status, _) = app.review(id, "approve", json!({})).await;
    assert_eq!(
        status,
        reqwest::StatusCode::CONFLICT,
        "not reviewable while deferred"
    );
    app.clock.advance(Duration::hours(3));
    assert_eq!(app.sweep().await.released, 1);

    let (_, pending) = app.list("").await;
    assert_eq!(pending["items"][0]["id"], id);
    let (status, _) = app.review(id, "approve", json!({})).await;
    assert_eq!(status, reqwest::StatusCode::OK);
}

#[apply(backends)]
async fn undecided_actions_expire_and_decided_ones_do_not(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let open = fixture
        .action(&app, now, |a| a.expires_at = now + Duration::hours(2))
        .await;
    let snoozed = fixture
        .action(&app, now, |a| {
            a.status = ActionStatus::Snoozed;
            a.snoozed_until = Some(now + Duration::hours(5));
            a.expires_at = now + Duration::hours(2);
        })
        .await;
    let approved = fixture
        .action(&app, now, |a| {
            a.status = ActionStatus::Approved;
            a.expires_at = now + Duration::hours(2);
        })
        .await;

    app.clock.advance(Duration::hours(2));
    let (status, problem) = app.review(open.id, "approve", json!({})).await;
    assert_eq!(
        status,
        reqwest::StatusCode::CONFLICT,
        "expired before the sweep ran"
    );
    assert_eq!(problem["current_status"], "expired");

    assert_eq!(app.sweep().await.expired, 2);
    for id in [open.id, snoozed.id] {
        let (_, detail) = app.get_action(id).await;
        assert_eq!(detail["status"], "expired");
        assert_eq!(
            detail["decisions"]["expired_at"],
            json!(now + Duration::hours(2))
        );
    }
    let (_, detail) = app.get_action(approved.id).await;
    assert_eq!(detail["status"], "approved");
}

/// Two servers sweeping one database at once transition each action once.
#[apply(backends)]
async fn concurrent_sweeps_transition_each_action_once(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    for minutes in 0..40 {
        fixture
            .action(&app, now - Duration::minutes(minutes), |a| {
                a.expires_at = now + Duration::minutes(minutes)
            })
            .await;
    }
    app.clock.advance(Duration::hours(1));

    let (a, b) = tokio::join!(
        jobs::run_once(&app.db, &app.bus, app.now()),
        jobs::run_once(&app.db, &app.bus, app.now())
    );
    let total = a.expect("first sweep").expired + b.expect("second sweep").expired;

    assert_eq!(total, 40);
    let events = action_events::Entity::find()
        .filter(action_events::Column::Kind.eq("expired"))
        .count(&app.db)
        .await
        .expect("counted");
    assert_eq!(events, 40);
}

#[apply(backends)]
async fn a_call_approved_while_closed_waits_for_opening_time(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let monday_nine = closed_for_the_weekend(&app, &fixture).await;
    let saturday = app.now();
    let call = call_proposal(&fixture);
    let (_, call) = app.propose(&call).await;
    let (_, email) = app.propose(&proposal(&fixture)).await;

    let (_, held) = app.review(id_of(&call), "approve", json!({})).await;
    let (_, sent) = app.review(id_of(&email), "approve", json!({})).await;

    assert_eq!(sent["status"], "approved", "emails go out at any hour");
    assert_eq!(held["status"], "deferred");
    assert_eq!(held["decisions"]["deferred_until"], json!(monday_nine));
    assert_eq!(
        held["decisions"]["approved_at"],
        json!(saturday),
        "the approval is recorded now"
    );
    assert_eq!(held["history"][1]["kind"], "approved_for_later");

    app.clock.set(monday_nine + Duration::days(5));
    let (_, still_held) = app.get_action(id_of(&call)).await;
    assert_ne!(
        still_held["status"], "expired",
        "an approved call never expires"
    );
    app.clock.set(monday_nine);
    assert_eq!(app.sweep().await.released, 1);
    let (_, called) = app.get_action(id_of(&call)).await;
    assert_eq!(called["status"], "approved");
}

/// Deciding an action whose snooze ran out before the sweep still records the wake-up.
#[apply(backends)]
async fn a_decision_after_an_unswept_wake_up_records_both_transitions(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    app.review(&id, "snooze", json!({"duration": "1h"})).await;
    app.clock.advance(Duration::hours(2));

    let (status, approved) = app
        .review(&id, "approve", json!({"expected_version": 2}))
        .await;

    assert_eq!(status, reqwest::StatusCode::OK, "{approved}");
    assert_eq!(approved["version"], 4);
    let steps: Vec<(String, String, String, i64)> = approved["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_owned(),
                e["from_status"].as_str().unwrap_or("-").to_owned(),
                e["to_status"].as_str().unwrap_or_default().to_owned(),
                e["version"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("proposed", "-", "pending", 1),
        ("snoozed", "pending", "snoozed", 2),
        ("snooze_elapsed", "snoozed", "pending", 3),
        ("approved", "pending", "approved", 4),
    ]
    .map(|(k, f, t, v)| (k.to_owned(), f.to_owned(), t.to_owned(), v));
    assert_eq!(steps, expected);
    assert_eq!(
        app.sweep().await,
        jobs::SweepReport::default(),
        "nothing left for the sweep"
    );
}

/// A reviewer edits a snoozed action after its wake-up but before the sweep: the wake-up is
/// recorded first and stored, so the sweep finds nothing to do and the counts stay true.
#[apply(backends)]
async fn editing_an_action_whose_snooze_ended_records_the_wake_up_first(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let (status, _) = app.review(&id, "snooze", json!({"duration": "1h"})).await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(Duration::hours(2));

    let (status, detail) = app
        .edit(
            &id,
            json!({"expected_version": 2, "subject": "Edited after the wake-up"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        (detail["status"].clone(), detail["version"].clone()),
        (json!("pending"), json!(4))
    );
    let steps: Vec<(Value, Value, Value)> = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|event| {
            (
                event["kind"].clone(),
                event["from_status"].clone(),
                event["to_status"].clone(),
            )
        })
        .collect();
    let woke = steps
        .iter()
        .position(|step| *step == (json!("snooze_elapsed"), json!("snoozed"), json!("pending")))
        .expect("the wake-up is recorded");
    let edited = steps
        .iter()
        .position(|step| *step == (json!("edited"), json!("pending"), json!("pending")))
        .expect("the edit is recorded");
    assert!(woke < edited, "{steps:?}");

    assert_eq!(app.sweep().await.woke, 0, "nothing left for the sweep");
    let (_, snoozed) = app.list("status=snoozed").await;
    assert_eq!(snoozed["total"], 0);
    let (_, pending) = app.list("status=pending").await;
    assert_eq!(pending["total"], 1);
}

/// "Next business morning" snoozes until the location first opens on a later day, in its time
/// zone: on a Saturday in London, with Sundays closed, that is Monday at nine.
#[apply(backends)]
async fn a_snooze_until_the_next_business_morning_follows_the_locations_hours(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let monday_nine = closed_for_the_weekend(&app, &fixture).await;
    let (_, one) = app.propose(&proposal(&fixture)).await;
    let (_, other) = app.propose(&proposal(&fixture)).await;

    let (status, snoozed) = app
        .review(
            id_of(&one),
            "snooze",
            json!({"duration": "next_business_morning"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{snoozed}");
    assert_eq!(snoozed["decisions"]["snoozed_until"], json!(monday_nine));
    let (_, bulk) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "snooze", "ids": [id_of(&other)], "duration": "next_business_morning"}),
        )
        .await;
    assert_eq!(bulk["results"][0]["ok"], true, "{bulk}");
    let (_, detail) = app.get_action(id_of(&other)).await;
    assert_eq!(detail["decisions"]["snoozed_until"], json!(monday_nine));
}
