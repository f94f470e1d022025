//! Review together: presence (review leases) and the safeguards a decision is confirmed past —
//! another reviewer's lease, the contact cap, the confidence floor.

use chrono::Duration;
use inbox_domain::auth::Scope;
use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::{
    events::EventStream,
    helpers::{backends, proposal, spawn_app, Backend, Fixture, TestApp},
};

async fn take(app: &TestApp, id: impl std::fmt::Display) -> (StatusCode, Value) {
    app.send_json(
        Method::PUT,
        &format!("/api/v1/actions/{id}/lease"),
        &json!(null),
    )
    .await
}

async fn release(app: &TestApp, id: impl std::fmt::Display) -> StatusCode {
    app.request(Method::DELETE, &format!("/api/v1/actions/{id}/lease"))
        .send()
        .await
        .expect("sent")
        .status()
}

async fn leases(app: &TestApp) -> Vec<Value> {
    let (status, leases) = app.get_json("/api/v1/leases").await;
    assert_eq!(status, StatusCode::OK, "{leases}");
    leases.as_array().expect("a list").clone()
}

async fn set_settings(app: &TestApp, settings: Value) {
    let (status, body) = app
        .send_json(Method::PUT, "/api/v1/settings", &settings)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn warning_kinds(body: &Value) -> Vec<&str> {
    body["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["warning"].as_str())
        .collect()
}

/// Two reviewers: Ben sees Ana's lease appear, live, and go when she leaves or it ends; taking
/// a lease never steals one.
#[apply(backends)]
async fn a_lease_shows_who_is_reviewing_and_ends_by_itself(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let id = fixture.action(&app, app.now(), |_| {}).await.id;
    let (ana, ana_id) = app.named_key(fixture.location.id, "Ana").await;
    let (ben, ben_id) = app.named_key(fixture.location.id, "Ben").await;

    app.use_token(&ben);
    let mut bens_stream = EventStream::of(&app).await;
    bens_stream.next("metrics").await;

    app.use_token(&ana);
    let (status, lease) = take(&app, id).await;
    assert_eq!(status, StatusCode::OK, "{lease}");
    assert_eq!(
        (
            lease["reviewer_id"].as_str(),
            lease["reviewer_name"].as_str()
        ),
        (Some(ana_id.as_str()), Some("Ana"))
    );
    assert_eq!(
        lease["expires_at"],
        json!(app.now() + Duration::seconds(60))
    );
    let seen = bens_stream.next("presence").await;
    assert_eq!(seen, json!({"action_id": id, "lease": lease}));

    app.use_token(&ben);
    assert_eq!(leases(&app).await, std::slice::from_ref(&lease));
    let (status, held) = take(&app, id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(held, lease, "Ben's request does not take Ana's lease");
    assert_eq!(release(&app, id).await, StatusCode::NO_CONTENT);
    assert_eq!(
        leases(&app).await,
        std::slice::from_ref(&lease),
        "nor can Ben end it"
    );

    app.use_token(&ana);
    assert_eq!(release(&app, id).await, StatusCode::NO_CONTENT);
    let gone = bens_stream.next("presence").await;
    assert_eq!(gone, json!({"action_id": id, "lease": null}));
    assert!(leases(&app).await.is_empty());

    // Taken again and left open: it ends by itself a minute later, and Ben may take it.
    take(&app, id).await;
    app.clock.advance(Duration::seconds(59));
    assert_eq!(leases(&app).await.len(), 1);
    app.clock.advance(Duration::seconds(1));
    assert!(leases(&app).await.is_empty(), "a lease ends by itself");
    app.use_token(&ben);
    let (_, bens) = take(&app, id).await;
    assert_eq!(bens["reviewer_id"], json!(ben_id));

    let unknown = uuid::Uuid::now_v7();
    let (status, problem) = take(&app, unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

/// Deciding what someone else is reviewing asks for a confirmation; a bulk decision skips it and
/// says so; the version check still decides who wins.
#[apply(backends)]
async fn deciding_an_action_someone_else_reviews_needs_a_confirmation(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let held = fixture.action(&app, app.now(), |_| {}).await.id;
    let free = fixture.action(&app, app.now(), |_| {}).await.id;
    let (ana, _) = app.named_key(fixture.location.id, "Ana").await;
    let (ben, _) = app.named_key(fixture.location.id, "Ben").await;
    app.use_token(&ana);
    take(&app, held).await;

    // Ana's own lease never stands in her way.
    app.use_token(&ben);
    let reject = json!({"reason": "already_resolved", "expected_version": 1});
    let (status, problem) = app.review(held, "reject", reject.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:ai-inbox:problem:confirmation-needed");
    assert_eq!(warning_kinds(&problem), ["held_by_another"]);
    assert_eq!(
        problem["warnings"][0]["detail"],
        "Ana is reviewing this action."
    );
    let (_, unchanged) = app.get_action(held).await;
    assert_eq!(
        (unchanged["status"].clone(), unchanged["version"].clone()),
        (json!("pending"), json!(1))
    );

    let (status, bulk) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "snooze", "duration": "1h", "ids": [held, free], "acknowledged": ["held_by_another"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    let results = bulk["results"].as_array().expect("results");
    assert_eq!(results[0]["ok"], false);
    assert_eq!(results[0]["error"]["status"], 409);
    assert_eq!(
        results[0]["error"]["detail"],
        "Ana is reviewing this action. Skipped: open it to decide it."
    );
    assert_eq!(warning_kinds(&results[0]), ["held_by_another"]);
    assert_eq!(results[1]["ok"], true, "{bulk}");

    let mut confirmed = reject.clone();
    confirmed["acknowledged"] = json!(["held_by_another"]);
    let (status, rejected) = app.review(held, "reject", confirmed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");

    // Ana decides the version she saw: the version check, not her lease, says it is too late.
    app.use_token(&ana);
    let (status, late) = app
        .review(held, "approve", json!({"expected_version": 1}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    assert_eq!(late["type"], "urn:ai-inbox:problem:conflict");
}

/// The contact cap: approving past it warns in the detail and needs a confirmation; the
/// pre-flight lists it and counts the batch's own messages; a trusted agent's action waits for
/// review instead of going out.
#[apply(backends)]
async fn the_contact_cap_needs_a_confirmation_and_holds_auto_execute(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (status, off) = app.get_json("/api/v1/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        off,
        json!({"contact_cap": null, "review_confidence_floor": null, "audit_share": null, "slack_webhook_url": null})
    );
    set_settings(
        &app,
        json!({"contact_cap": {"max_messages": 1, "window_days": 7}}),
    )
    .await;

    let first = fixture.action(&app, app.now(), |_| {}).await.id;
    let second = fixture.action(&app, app.now(), |_| {}).await.id;
    let third = fixture.action(&app, app.now(), |_| {}).await.id;
    let note = fixture
        .action(&app, app.now(), |a| {
            a.action_type = inbox_domain::ActionType::InternalNote;
            a.channel = None;
            a.subject = Some("Check the invoice".into());
            a.body = Some("<p>Look into it.</p>".into());
        })
        .await
        .id;

    // The pre-flight of all three: the batch's own first message counts for the others.
    let (_, preflight) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": [first, second, note], "dry_run": true}),
        )
        .await;
    let results = preflight["results"].as_array().expect("results");
    assert_eq!(results[0]["ok"], true, "{preflight}");
    assert_eq!(results[1]["ok"], false, "{preflight}");
    assert_eq!(warning_kinds(&results[1]), ["contact_cap"]);
    assert_eq!(results[2]["ok"], true, "a note reaches nobody: {preflight}");

    let (status, approved) = app.review(first, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let (_, detail) = app.get_action(second).await;
    assert_eq!(warning_kinds(&detail), ["contact_cap"]);
    assert_eq!(
        detail["warnings"][0]["detail"],
        "Zoë Müller has been sent 1 message in the last 7 days; the location's cap is 1."
    );
    let (status, problem) = app.review(second, "approve", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(warning_kinds(&problem), ["contact_cap"]);
    assert_eq!(app.get_action(second).await.1["status"], "pending");
    let (status, approved) = app
        .review(second, "approve", json!({"acknowledged": ["contact_cap"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");

    let (_, bulk) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": [third], "acknowledged": ["contact_cap"]}),
        )
        .await;
    assert_eq!(bulk["results"][0]["ok"], true, "{bulk}");

    // A trusted agent's proposal past the cap waits for a person, saying why.
    let path = format!("/api/v1/agents/{}", fixture.agent.id);
    app.patch_json(
        &path,
        &json!({"auto_execute": ["draft_message"], "auto_execute_min_confidence": 80}),
    )
    .await;
    app.use_token(
        &app.key(fixture.location.id, Scope::ALL, Some(fixture.agent.id))
            .await,
    );
    let (status, held) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(held["status"], "pending");
    assert!(held["history"][0]["data"]["held_for_review"]
        .as_str()
        .expect("why")
        .contains("the location's cap is 1"));

    // Past the window the cap no longer counts those messages.
    app.clock.advance(Duration::days(8));
    let (_, sent) = app.propose(&proposal(&fixture)).await;
    assert_eq!(sent["status"], "auto_executed", "{sent}");
}

/// The confidence floor points an action out in the pre-flight without refusing it; settings out
/// of range are refused and change nothing; only an admin key changes them.
#[apply(backends)]
async fn the_confidence_floor_is_pointed_out_and_settings_are_checked(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    set_settings(&app, json!({"review_confidence_floor": 90})).await;
    let unsure = fixture
        .action(&app, app.now(), |a| a.confidence = 40)
        .await
        .id;
    let sure = fixture
        .action(&app, app.now(), |a| a.confidence = 95)
        .await
        .id;

    let (_, preflight) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": [unsure, sure], "dry_run": true}),
        )
        .await;
    let results = preflight["results"].as_array().expect("results");
    assert_eq!(results[0]["ok"], true);
    assert_eq!(warning_kinds(&results[0]), ["low_confidence"]);
    assert_eq!(
        results[0]["warnings"][0]["detail"],
        "The agent is 40% confident, under the location's 90%."
    );
    assert!(results[1].get("warnings").is_none(), "{preflight}");
    let (status, approved) = app.review(unsure, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "only pointed out: {approved}");

    let (status, problem) = app
        .send_json(
            Method::PUT,
            "/api/v1/settings",
            &json!({"contact_cap": {"max_messages": 0, "window_days": 365}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        crate::helpers::error_fields(&problem),
        ["contact_cap.max_messages", "contact_cap.window_days"]
    );
    let (status, _) = app
        .send_json(
            Method::PUT,
            "/api/v1/settings",
            &json!({"review_confidence_floor": 101}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.use_token(
        &app.key(
            fixture.location.id,
            &[Scope::ActionsRead, Scope::ActionsReview],
            None,
        )
        .await,
    );
    let (status, _) = app
        .send_json(Method::PUT, "/api/v1/settings", &json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, kept) = app.get_json("/api/v1/settings").await;
    assert_eq!(kept["review_confidence_floor"], 90);
}

/// Held proposals released in one sweep count each other against the cap: one goes out, the
/// other waits for review.
#[apply(backends)]
async fn a_sweep_counts_its_own_auto_executions_against_the_cap(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    set_settings(
        &app,
        json!({"contact_cap": {"max_messages": 1, "window_days": 7}}),
    )
    .await;
    let path = format!("/api/v1/agents/{}", fixture.agent.id);
    app.patch_json(
        &path,
        &json!({"auto_execute": ["draft_message"], "auto_execute_min_confidence": 80}),
    )
    .await;
    app.use_token(
        &app.key(fixture.location.id, Scope::ALL, Some(fixture.agent.id))
            .await,
    );
    let mut held = proposal(&fixture);
    held["not_before"] = json!(app.now() + Duration::hours(1));
    for _ in 0..2 {
        let (status, action) = app.propose(&held).await;
        assert_eq!(status, StatusCode::CREATED, "{action}");
        assert_eq!(action["status"], "deferred");
    }
    app.clock.advance(Duration::hours(2));
    let report = app.sweep().await;
    assert_eq!(
        (report.auto_executed, report.released),
        (1, 1),
        "{report:?}"
    );
    let (_, pending) = app.list("status=pending").await;
    assert_eq!(pending["total"], 1, "{pending}");
}
