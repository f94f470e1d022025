//! Insights: daily tallies kept as actions change, read a period at a time.

use chrono::{Duration, TimeZone, Utc};
use inbox_api::{
    db::entities::locations,
    jobs::deliveries::{run_once, Outbound},
};
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{backends, error_fields, id_of, proposal, spawn_app, Backend, Fixture};

async fn insights(app: &crate::helpers::TestApp, query: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/insights?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A hand-built week through the API: each decision lands in its tally, the rates and reasons
/// follow, and a rebuild from the history comes to the same numbers.
#[apply(backends)]
async fn a_weeks_decisions_add_up_day_by_day(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (status, action) = app.propose(&proposal(&fixture)).await;
        assert_eq!(status, StatusCode::CREATED, "{action}");
        ids.push(id_of(&action).to_owned());
    }
    app.clock.advance(Duration::minutes(10));
    app.review(&ids[0], "approve", json!({})).await;
    let (status, edited) = app
        .review(
            &ids[1],
            "approve",
            json!({"body": "<p>Thanks for being with us all year — see you at the front desk soon.</p>"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    app.review(&ids[2], "reject", json!({"reason": "poor_timing"}))
        .await;
    app.review(&ids[3], "snooze", json!({"duration": "1h"}))
        .await;
    app.clock.advance(Duration::minutes(1));
    run_once(&app.db, &app.bus, &Outbound::default(), app.now())
        .await
        .expect("delivered");
    let (status, outcome) = app
        .post_json(
            &format!("/api/v1/actions/{}/outcome", ids[0]),
            &json!({"kind": "payment_made", "occurred_at": app.now()}),
        )
        .await;
    assert!(status.is_success(), "{outcome}");

    let week = insights(&app, "period=7").await;
    let days = week["days"].as_array().expect("days");
    assert_eq!(days.len(), 7);
    let today = &days[6];
    assert_eq!(
        [
            &today["proposed"],
            &today["approved_as_is"],
            &today["approved_edited"],
            &today["rejected"],
            &today["snoozed"],
        ],
        [&json!(4), &json!(1), &json!(1), &json!(1), &json!(1)]
    );
    assert_eq!(days[0]["proposed"], 0);
    let totals = &week["totals"];
    assert_eq!(totals["approval_rate"], json!(2.0 / 3.0));
    assert_eq!(totals["average_review_seconds"], 600.0);
    assert_eq!(totals["p90_review_seconds"], 900);
    assert_eq!(
        week["rejection_reasons"],
        json!([{"reason": "poor_timing", "count": 1}])
    );
    assert_eq!(
        week["edit_intensity"],
        json!([
            {"intensity": "unchanged", "count": 1},
            {"intensity": "light", "count": 0},
            {"intensity": "rewritten", "count": 1},
        ])
    );
    assert_eq!(
        week["outcomes"],
        json!([{"kind": "payment_made", "count": 1}])
    );
    assert_eq!(week["positive_outcome_share"], 0.5);
    assert_eq!(
        week["by_agent"][0]["proposed_per_day"],
        json!([0, 0, 0, 0, 0, 0, 4])
    );

    // Narrowed to another agent or type: nothing.
    let none = insights(&app, &format!("period=7&agent_id={}", uuid::Uuid::now_v7())).await;
    assert_eq!(none["totals"]["proposed"], 0);
    let calls = insights(&app, "period=30&action_type=voice_outreach").await;
    assert_eq!(calls["totals"]["proposed"], 0);
    assert_eq!(calls["days"].as_array().map(Vec::len), Some(30));

    inbox_api::db::insights::rebuild(&app.db, fixture.location.id)
        .await
        .expect("rebuilt");
    assert_eq!(
        insights(&app, "period=7").await,
        week,
        "counted again from the history"
    );
}

/// Days are the location's: a proposal at 20:00 UTC is tomorrow in Tokyo.
#[apply(backends)]
async fn days_follow_the_locations_time_zone(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    locations::Entity::update_many()
        .col_expr(locations::Column::TimeZone, Expr::value("Asia/Tokyo"))
        .filter(locations::Column::Id.eq(fixture.location.id))
        .exec(&app.db)
        .await
        .expect("moved to Tokyo");
    app.clock.set(
        Utc.with_ymd_and_hms(2026, 11, 30, 20, 0, 0)
            .single()
            .expect("a time"),
    );
    app.propose(&proposal(&fixture)).await;
    let week = insights(&app, "period=7").await;
    let today = &week["days"][6];
    assert_eq!(today["date"], "2026-12-01");
    assert_eq!(today["proposed"], 1);
}

#[apply(backends)]
async fn a_period_other_than_7_30_or_90_days_is_refused(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    Fixture::new(&app).await;
    for (query, field) in [
        ("period=14", "period"),
        ("period=week", "period"),
        ("agent_id=nobody", "agent_id"),
        ("action_type=fax", "action_type"),
    ] {
        let (status, problem) = app.get_json(&format!("/api/v1/insights?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
        assert_eq!(error_fields(&problem), [field], "{query}");
    }
    let (status, default) = app.get_json("/api/v1/insights").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(default["period_days"], 30);
}

/// Twenty clean approvals earn an agent autonomy from their confidence band; one rejection there
/// takes the suggestion back, saying why.
#[apply(backends)]
async fn twenty_clean_approvals_earn_autonomy(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut ids = Vec::new();
    for minutes in 0..21 {
        let action = fixture
            .action(&app, app.now() - Duration::minutes(minutes + 30), |_| {})
            .await;
        ids.push(action.id);
    }
    for id in &ids[..20] {
        let (status, approved) = app.review(id, "approve", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{approved}");
    }
    let (status, advice) = app.get_json("/api/v1/insights/autonomy").await;
    assert_eq!(status, StatusCode::OK, "{advice}");
    assert_eq!(advice.as_array().map(Vec::len), Some(1), "{advice}");
    let earned = &advice[0];
    assert_eq!(earned["action_type"], "draft_message");
    assert_eq!(earned["reviewed"], 20);
    assert_eq!(earned["auto_executing"], false);
    assert_eq!(earned["suggested_min_confidence"], 80, "{earned}");

    app.review(ids[20], "reject", json!({"reason": "not_appropriate"}))
        .await;
    let (_, advice) = app.get_json("/api/v1/insights/autonomy").await;
    assert_eq!(advice[0]["suggested_min_confidence"], Value::Null);
    assert_eq!(
        advice[0]["why"],
        "No confidence above which every reviewed action was approved (10 or more)."
    );
}

/// The decisions export: each decided action with its text as proposed and as approved, the
/// decision, its reason and note, the edit distance and the outcomes; as NDJSON or CSV.
#[apply(backends)]
async fn decisions_are_exported_as_ndjson_and_csv(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let csv_of = |text: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .expect("CSV")
    };
    let get = |path: &'static str| {
        let request = app.request(reqwest::Method::GET, path);
        async move {
            let response = request.send().await.expect("sent");
            let kind = response.headers()["content-type"]
                .to_str()
                .expect("a type")
                .to_owned();
            (
                response.status(),
                kind,
                response.text().await.expect("a body"),
            )
        }
    };
    let (status, _, empty) = get("/api/v1/decisions/export").await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.starts_with("action_id,agent,action_type,"), "{empty}");
    assert!(csv_of(&empty).is_empty());

    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, action) = app.propose(&proposal(&fixture)).await;
        ids.push(id_of(&action).to_owned());
    }
    let edited =
        "<p>Hi {{first_name}}, just a friendly nudge about invoice #{{invoice_number}}.</p>";
    app.review(&ids[0], "approve", json!({"body": edited}))
        .await;
    app.review(
        &ids[1],
        "reject",
        json!({"reason": "other", "note": "Wrong customer."}),
    )
    .await;
    app.post_json(
        &format!("/api/v1/actions/{}/outcome", ids[0]),
        &json!({"kind": "payment_made", "occurred_at": app.now()}),
    )
    .await;

    let (status, kind, ndjson) = get("/api/v1/decisions/export?format=ndjson").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/x-ndjson");
    let records: Vec<Value> = ndjson
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(
        records.len(),
        2,
        "the pending one is not a decision: {ndjson}"
    );
    let approved = &records[0];
    assert_eq!(approved["action_id"], ids[0]);
    assert_eq!(approved["decision"], "approved");
    assert!(approved["proposed_text"]
        .as_str()
        .expect("text")
        .contains("is overdue"));
    assert!(approved["final_text"]
        .as_str()
        .expect("text")
        .contains("friendly nudge"));
    assert!(approved["edit_distance"].as_u64().expect("a distance") > 0);
    assert_eq!(approved["outcomes"], "payment_made");
    let rejected = &records[1];
    assert_eq!(
        (
            &rejected["decision"],
            &rejected["rejection_reason"],
            &rejected["note"]
        ),
        (
            &json!("rejected"),
            &json!("other"),
            &json!("Wrong customer.")
        )
    );
    assert_eq!(rejected["edit_distance"], 0);
    assert_eq!(rejected["edit_intensity"], "unchanged");

    let (_, kind, csv) = get("/api/v1/decisions/export?format=csv").await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    let rows = csv_of(&csv);
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][9], "Wrong customer.");

    let (status, problem) = app.get_json("/api/v1/decisions/export?format=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_fields(&problem), ["format"]);
}

/// Three unsubscribes after the five messages a trusted agent sent alone pause its sending that
/// type alone: new proposals wait for review, the agent and the action's history say why, and
/// enabling it again clears the pause.
#[apply(backends)]
async fn unsubscribes_after_messages_sent_alone_pause_autonomy(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let admin = inbox_api::services::auth::create_user(
        &app.db,
        fixture.location.id,
        "admin@example.com",
        "Ada Admin",
        inbox_domain::auth::Role::Admin,
        crate::helpers::REVIEWER_PASSWORD,
        app.now(),
    )
    .await
    .expect("an admin");
    let path = format!("/api/v1/agents/{}", fixture.agent.id);
    app.patch_json(
        &path,
        &json!({"auto_execute": ["draft_message"], "auto_execute_min_confidence": 80}),
    )
    .await;
    app.use_token(
        &app.key(
            fixture.location.id,
            inbox_domain::auth::Scope::ALL,
            Some(fixture.agent.id),
        )
        .await,
    );
    let mut sent = Vec::new();
    for _ in 0..5 {
        let (_, action) = app.propose(&proposal(&fixture)).await;
        assert_eq!(action["status"], "auto_executed", "{action}");
        sent.push(id_of(&action).to_owned());
    }
    for (n, id) in sent.iter().take(3).enumerate() {
        let (status, outcome) = app
            .post_json(
                &format!("/api/v1/actions/{id}/outcome"),
                &json!({"kind": "unsubscribed", "occurred_at": app.now()}),
            )
            .await;
        assert!(status.is_success(), "{outcome}");
        let (_, agent) = app.get_json(&path).await;
        assert_eq!(
            agent["auto_execute"] == json!(["draft_message"]),
            n < 2,
            "paused at the third: {agent}"
        );
    }
    let (_, agent) = app.get_json(&path).await;
    assert_eq!(agent["autonomy_paused"][0]["action_type"], "draft_message");
    assert_eq!(
        agent["autonomy_paused"][0]["why"],
        "3 of the 5 messages it sent alone in 30 days were followed by an unsubscribe."
    );
    let (_, held) = app.propose(&proposal(&fixture)).await;
    assert_eq!(held["status"], "pending", "{held}");
    assert_eq!(
        crate::helpers::event_kinds(&app, &sent[2])
            .await
            .last()
            .map(String::as_str),
        Some("autonomy_paused")
    );
    // The admins are told by email, with the reason, once.
    let told = inbox_api::db::notices::of_reviewer(&app.db, admin.id, 10)
        .await
        .expect("read");
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].kind,
        inbox_domain::notices::NoticeKind::AutonomyPaused
    );
    assert_eq!(
        told[0].subject,
        "Auto-execute paused: Due Invoice Reminders no longer sends Draft Message alone"
    );
    assert!(
        told[0]
            .body_text
            .contains("3 of the 5 messages it sent alone"),
        "{}",
        told[0].body_text
    );

    let (_, enabled) = app
        .patch_json(&path, &json!({"auto_execute": ["draft_message"]}))
        .await;
    assert_eq!(enabled["autonomy_paused"], json!([]), "{enabled}");
}

/// A share of what trusted agents send alone is set aside; a person checks each once.
#[apply(backends)]
async fn a_share_of_what_agents_send_alone_is_set_aside_for_audit(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let admin = app.token().expect("the fixture's key");
    let (status, settings) = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/settings",
            &json!({"audit_share": 100}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let path = format!("/api/v1/agents/{}", fixture.agent.id);
    app.patch_json(
        &path,
        &json!({"auto_execute": ["draft_message"], "auto_execute_min_confidence": 80}),
    )
    .await;
    let reviewed = fixture.action(&app, app.now(), |_| {}).await.id;
    app.review(reviewed, "approve", json!({})).await;
    app.use_token(
        &app.key(
            fixture.location.id,
            inbox_domain::auth::Scope::ALL,
            Some(fixture.agent.id),
        )
        .await,
    );
    let mut sent = Vec::new();
    for _ in 0..2 {
        let (_, action) = app.propose(&proposal(&fixture)).await;
        assert_eq!(action["audit"], "pending", "{action}");
        sent.push(id_of(&action).to_owned());
    }
    app.use_token(&admin);
    let (_, queue) = app.get_json("/api/v1/audit").await;
    let queued: Vec<&str> = queue
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(
        queued,
        [sent[1].as_str(), sent[0].as_str()],
        "only what was sent alone"
    );

    let check =
        |verdict: &str| json!({"verdict": verdict, "note": "Too pushy for a first reminder."});
    let (status, problem) = app.review(&sent[0], "audit", check("pending")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, checked) = app.review(&sent[0], "audit", check("flagged")).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert_eq!(checked["audit"], "flagged");
    assert_eq!(
        checked["history"]
            .as_array()
            .and_then(|h| h.last())
            .map(|e| e["kind"].clone()),
        Some(json!("audited"))
    );
    let (status, _) = app.review(&sent[0], "audit", check("ok")).await;
    assert_eq!(status, StatusCode::CONFLICT, "checked once");
    let (status, _) = app.review(reviewed, "audit", check("ok")).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a person's approval is not audited"
    );
    let (_, queue) = app.get_json("/api/v1/audit").await;
    assert_eq!(queue.as_array().map(Vec::len), Some(1));
}

/// An agent's own key that may review decides as the agent, not as a person: its approvals
/// earn the agent nothing, where a person's (or a person's key) do.
#[apply(backends)]
async fn an_agent_approving_its_own_proposals_earns_no_autonomy(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let person = app.token().expect("the fixture's key");
    let agent_key = app
        .key(
            fixture.location.id,
            inbox_domain::auth::Scope::ALL,
            Some(fixture.agent.id),
        )
        .await;
    app.use_token(&agent_key);
    for _ in 0..3 {
        let (_, action) = app.propose(&proposal(&fixture)).await;
        let (status, _) = app.review(id_of(&action), "approve", json!({})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, advice) = app.get_json("/api/v1/insights/autonomy").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        advice[0]["reviewed"], 0,
        "no person decided anything: {advice}"
    );

    app.use_token(&person);
    let (_, action) = app.propose(&proposal(&fixture)).await;
    app.review(id_of(&action), "approve", json!({})).await;
    let (_, advice) = app.get_json("/api/v1/insights/autonomy").await;
    assert_eq!(advice[0]["reviewed"], 1, "{advice}");
}

/// An approval's edit intensity counts the edits saved before it, not only its own: a draft
/// rewritten and saved, then approved as it stands in a bulk approval, is `rewritten`.
#[apply(backends)]
async fn edits_saved_before_an_approval_count_as_its_edits(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let actions = fixture.actions_minutes_ago(&app, [2, 1]).await;
    let ids: Vec<String> = actions.iter().map(|action| action.id.to_string()).collect();
    let (status, saved) = app
        .edit(
            &ids[0],
            json!({
                "expected_version": actions[0].version,
                "body": "<p>Thanks for being with us all year — see you at the front desk soon.</p>",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, bulk) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": ids}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");

    let week = insights(&app, "period=7").await;
    assert_eq!(
        week["edit_intensity"],
        json!([
            {"intensity": "unchanged", "count": 1},
            {"intensity": "light", "count": 0},
            {"intensity": "rewritten", "count": 1},
        ])
    );
}
