use chrono::Duration;
use futures_util::future::join_all;
use inbox_api::db::entities::action_events;
use inbox_domain::ActionStatus;
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{backends, error_fields, spawn_app, Backend, Fixture};

#[apply(backends)]
async fn bulk_decides_each_id_on_its_own(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let pending = fixture.action(&app, now - Duration::hours(1), |_| {}).await;
    let snoozed = fixture
        .action(&app, now - Duration::hours(2), |a| {
            a.status = ActionStatus::Snoozed;
            a.snoozed_until = Some(now + Duration::hours(1));
        })
        .await;
    let decided = fixture
        .action(&app, now - Duration::hours(3), |a| {
            a.status = ActionStatus::Approved
        })
        .await;
    let unknown = uuid::Uuid::now_v7();

    let (status, body) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "reject", "ids": [pending.id, decided.id, unknown, snoozed.id], "reason": "not_appropriate"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    let summary: Vec<(Value, Value, Value)> = results
        .iter()
        .map(|r| {
            (
                r["ok"].clone(),
                r["status"].clone(),
                r["error"]["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!(true), json!("rejected"), Value::Null),
            (json!(false), json!("approved"), json!(409)),
            (json!(false), Value::Null, json!(404)),
            (json!(true), json!("rejected"), Value::Null),
        ]
    );
    assert_eq!(results[2]["id"], unknown.to_string());
    let (_, rejected) = app.list("status=rejected").await;
    assert_eq!(rejected["total"], 2);
}

#[apply(backends)]
async fn bulk_snooze_gives_every_action_the_same_time(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let ids: Vec<uuid::Uuid> = fixture
        .actions_minutes_ago(&app, 1..=3)
        .await
        .iter()
        .map(|action| action.id)
        .collect();
    let (_, body) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "snooze", "ids": ids, "duration": "1d"}),
        )
        .await;
    assert!(body["results"]
        .as_array()
        .expect("results")
        .iter()
        .all(|r| r["ok"] == true));
    let (_, snoozed) = app.list("status=snoozed").await;
    assert_eq!(snoozed["total"], 3);
    for id in &ids {
        let (_, detail) = app.get_action(id).await;
        assert_eq!(
            detail["decisions"]["snoozed_until"],
            json!(app.now() + Duration::days(1))
        );
    }
}

#[apply(backends)]
async fn a_bulk_request_that_breaks_a_rule_changes_nothing(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let action = fixture.action(&app, app.now(), |_| {}).await;
    let too_many: Vec<uuid::Uuid> = (0..501).map(|_| uuid::Uuid::now_v7()).collect();
    for (body, field) in [
        (json!({"op": "approve", "ids": []}), "ids"),
        (json!({"op": "approve", "ids": too_many}), "ids"),
        (json!({"op": "reject", "ids": [action.id]}), "reason"),
        (
            json!({"op": "reject", "ids": [action.id], "reason": "other"}),
            "note",
        ),
        (json!({"op": "snooze", "ids": [action.id]}), "duration"),
        (
            json!({"op": "approve", "ids": [action.id], "reason": "poor_timing"}),
            "reason",
        ),
    ] {
        let (status, problem) = app.post_json("/api/v1/actions/bulk", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            error_fields(&problem).contains(&field),
            "names `{field}`: {problem}"
        );
    }
    let (status, _) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "archive", "ids": [action.id]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, detail) = app.get_action(action.id).await;
    assert_eq!(
        (detail["status"].clone(), detail["version"].clone()),
        (json!("pending"), json!(1))
    );
}

/// 20 reviewers approve and reject the same 50 actions at once, one by one and in bulk: every
/// action ends with exactly one decision and one decision event.
#[apply(backends)]
async fn concurrent_reviewers_never_both_decide_an_action(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let ids: Vec<uuid::Uuid> = fixture
        .actions_minutes_ago(&app, 0..50)
        .await
        .iter()
        .map(|action| action.id)
        .collect();

    let reviewers = (0..20).map(|reviewer| {
        let (app, ids) = (&app, &ids);
        async move {
            let mut successes = 0;
            if reviewer % 5 == 0 {
                let op = if reviewer % 2 == 0 {
                    json!({"op": "approve", "ids": ids})
                } else {
                    json!({"op": "reject", "ids": ids, "reason": "poor_timing"})
                };
                let (status, body) = app.post_json("/api/v1/actions/bulk", &op).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                successes += body["results"]
                    .as_array()
                    .expect("results")
                    .iter()
                    .filter(|r| r["ok"] == true)
                    .count();
            } else {
                for id in ids {
                    let (verb, body) = if (reviewer + id.as_u128() as usize) % 2 == 0 {
                        ("approve", json!({}))
                    } else {
                        ("reject", json!({"reason": "poor_timing"}))
                    };
                    let (status, body) = app
                        .post_json(&format!("/api/v1/actions/{id}/{verb}"), &body)
                        .await;
                    match status {
                        StatusCode::OK => successes += 1,
                        StatusCode::CONFLICT => {}
                        other => panic!("unexpected {other}: {body}"),
                    }
                }
            }
            successes
        }
    });
    let successes: usize = join_all(reviewers).await.into_iter().sum();

    assert_eq!(successes, 50, "exactly one decision per action");
    for id in &ids {
        let decisions = action_events::Entity::find()
            .filter(action_events::Column::ActionId.eq(*id))
            .filter(action_events::Column::Kind.is_in(["approved", "rejected"]))
            .count(&app.db)
            .await
            .expect("counted");
        assert_eq!(decisions, 1, "action {id}");
    }
    let (_, approved) = app.list("status=approved&limit=1").await;
    let (_, rejected) = app.list("status=rejected&limit=1").await;
    assert_eq!(
        approved["total"].as_u64().expect("n") + rejected["total"].as_u64().expect("n"),
        50
    );
}

#[apply(backends)]
async fn a_bulk_approval_is_undone_as_a_whole_inside_the_window(#[case] backend: Backend) {
    use inbox_api::jobs::deliveries::{run_once, Outbound};
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let ids: Vec<uuid::Uuid> = fixture
        .actions_minutes_ago(&app, [30, 20, 10])
        .await
        .iter()
        .map(|action| action.id)
        .collect();
    let rejected = fixture.action(&app, now - Duration::hours(1), |_| {}).await;
    app.review(rejected.id, "reject", json!({"reason": "poor_timing"}))
        .await;
    let (status, approved) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": ids}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");

    let mut undo_ids = ids.clone();
    undo_ids.push(rejected.id);
    let (status, undone) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "undo", "ids": undo_ids}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{undone}");
    let outcomes: Vec<(bool, Value)> = undone["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| {
            (
                result["ok"].as_bool().expect("ok"),
                result["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (true, json!("pending")),
            (true, json!("pending")),
            (true, json!("pending")),
            (false, json!("rejected")),
        ],
        "{undone}"
    );
    assert_eq!(undone["results"][3]["error"]["status"], 409);
    app.clock.advance(Duration::minutes(5));
    let report = run_once(&app.db, &app.bus, &Outbound::default(), app.now())
        .await
        .expect("delivery pass");
    assert_eq!(report.sent, 0, "nothing leaves");
    let (_, pending) = app.list("status=pending").await;
    assert_eq!(pending["total"], 3);

    // Once the window has passed, it is too late for all of them.
    app.post_json(
        "/api/v1/actions/bulk",
        &json!({"op": "approve", "ids": ids}),
    )
    .await;
    app.clock.advance(Duration::minutes(1));
    let (_, late) = app
        .post_json("/api/v1/actions/bulk", &json!({"op": "undo", "ids": ids}))
        .await;
    assert!(
        late["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|result| result["ok"] == false && result["error"]["status"] == 409),
        "{late}"
    );
    history_and_messages_belong_to_their_actions(&app).await;
}

/// Every history entry and message names an action that exists, and that action's location
/// (on PostgreSQL no foreign key checks it: see migration 000025).
async fn history_and_messages_belong_to_their_actions(app: &crate::helpers::TestApp) {
    use inbox_api::db::entities::{actions, deliveries};
    use std::collections::HashMap;
    let locations: HashMap<uuid::Uuid, uuid::Uuid> = actions::Entity::find()
        .all(&app.db)
        .await
        .expect("actions")
        .into_iter()
        .map(|action| (action.id, action.location_id))
        .collect();
    let entries = action_events::Entity::find()
        .all(&app.db)
        .await
        .expect("history");
    let messages = deliveries::Entity::find()
        .all(&app.db)
        .await
        .expect("messages");
    assert!(!entries.is_empty() && !messages.is_empty());
    for (action_id, location_id) in entries
        .iter()
        .map(|entry| (entry.action_id, entry.location_id))
        .chain(
            messages
                .iter()
                .map(|message| (message.action_id, message.location_id)),
        )
    {
        assert_eq!(locations.get(&action_id), Some(&location_id), "{action_id}");
    }
}

/// A reviewer selects two drafts; someone edits one of them before the bulk approval arrives:
/// with the versions on screen, only the unchanged one is approved.
#[apply(backends)]
async fn a_bulk_decision_with_versions_skips_drafts_changed_since_they_were_seen(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let actions = fixture.actions_minutes_ago(&app, 1..=3).await;
    let (seen, edited, bare) = (actions[0].id, actions[1].id, actions[2].id);
    let (status, _) = app
        .edit(
            edited,
            json!({"expected_version": 1, "subject": "Changed meanwhile"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": [
                {"id": seen, "expected_version": 1},
                {"id": edited, "expected_version": 1},
                bare,
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(results[0]["ok"], true, "{body}");
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["error"]["status"], 409);
    assert_eq!(results[1]["status"], "pending");
    assert_eq!(results[2]["ok"], true, "a bare id still works");
    let (_, detail) = app.get_action(edited).await;
    assert_eq!(
        (detail["status"].clone(), detail["version"].clone()),
        (json!("pending"), json!(2))
    );

    for malformed in [
        json!({"id": seen}),
        json!({"id": seen, "expected_version": "1"}),
        json!(7),
    ] {
        let (status, problem) = app
            .post_json(
                "/api/v1/actions/bulk",
                &json!({"op": "reject", "reason": "other", "note": "x", "ids": [malformed]}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        assert_eq!(error_fields(&problem), ["ids[0]"], "{problem}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .expect("a message")
                .contains("expected_version"),
            "{problem}"
        );
    }
}

/// The pre-flight of a bulk decision: `dry_run` reports, per id, what would happen or why not,
/// and changes nothing.
#[apply(backends)]
async fn a_dry_run_reports_each_actions_fate_and_changes_nothing(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let clean = fixture.action(&app, now, |_| {}).await.id;
    let unfilled = fixture
        .action(&app, now, |a| {
            a.body = Some("<p>Please pay {{amount_due}}.</p>".into())
        })
        .await
        .id;
    let decided = fixture
        .action(&app, now, |a| a.status = ActionStatus::Rejected)
        .await
        .id;
    let unknown = uuid::Uuid::now_v7();
    let ids = json!([clean, unfilled, decided, unknown]);

    let (status, body) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": ids, "dry_run": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().expect("results");
    assert_eq!(
        (results[0]["ok"].clone(), results[0]["status"].clone()),
        (json!(true), json!("approved"))
    );
    assert_eq!(results[1]["error"]["status"], 422, "{body}");
    assert!(results[1]["error"]["detail"]
        .as_str()
        .expect("why")
        .contains("amount_due"));
    assert_eq!(results[2]["error"]["status"], 409);
    assert_eq!(results[3]["error"]["status"], 404);

    let (_, detail) = app.get_action(clean).await;
    assert_eq!(
        (detail["status"].clone(), detail["version"].clone()),
        (json!("pending"), json!(1))
    );
    let decisions = action_events::Entity::find()
        .filter(action_events::Column::Kind.is_in(["approved", "rejected"]))
        .count(&app.db)
        .await
        .expect("counted");
    assert_eq!(decisions, 0, "a dry run decides nothing");
    let (_, pending) = app.list("status=pending").await;
    assert_eq!(pending["total"], 2);

    let (_, real) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": [clean]}),
        )
        .await;
    assert_eq!(real["results"][0]["ok"], true, "{real}");
}
