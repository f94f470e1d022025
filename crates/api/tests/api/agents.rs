use chrono::Duration;
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::json;

use crate::helpers::{backends, proposal, spawn_app, Backend, Fixture};

#[apply(backends)]
async fn agents_are_listed_and_their_trust_settings_change(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;

    let (_, agents) = app.get_json("/api/v1/agents").await;
    assert_eq!(agents[0]["name"], "Due Invoice Reminders");
    assert_eq!(agents[0]["auto_execute"], json!([]));

    let path = format!("/api/v1/agents/{}", fixture.agent.id);
    let (status, updated) = app
        .patch_json(&path, &json!({"auto_execute": ["draft_message"], "auto_execute_min_confidence": 80, "default_expiry_seconds": 86400}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["auto_execute"], json!(["draft_message"]));
    assert_eq!(updated["auto_execute_min_confidence"], 80);
    app.use_token(
        &app.key(fixture.location.id, Scope::ALL, Some(fixture.agent.id))
            .await,
    );
    let (_, action) = app.propose(&proposal(&fixture)).await;
    assert_eq!(
        action["status"], "auto_executed",
        "the new settings apply at once"
    );
    assert_eq!(action["expires_at"], json!(app.now() + Duration::days(1)));

    for (body, field) in [
        (
            json!({"auto_execute_min_confidence": 150}),
            "auto_execute_min_confidence",
        ),
        (
            json!({"default_expiry_seconds": 10}),
            "default_expiry_seconds",
        ),
    ] {
        let (status, problem) = app.patch_json(&path, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let (status, _) = app
        .patch_json(&path, &json!({"auto_execute": ["fax"]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, unchanged) = app.get_json(&path).await;
    assert_eq!(unchanged["auto_execute_min_confidence"], 80);

    app.patch_json(&path, &json!({"enabled": false})).await;
    let (status, problem) = app.propose(&proposal(&fixture)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a disabled agent cannot propose"
    );
    assert_eq!(problem["errors"][0]["field"], "agent_id");
    app.get_problem(
        &format!("/api/v1/agents/{}", uuid::Uuid::now_v7()),
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[apply(backends)]
async fn a_customer_comes_with_history_and_actions(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let inbox_api::seed::SeedReport::Created { agent_key, .. } =
        inbox_api::seed::demo(&app.db, app.now())
            .await
            .expect("seeded")
    else {
        panic!("a fresh database is seeded");
    };
    app.use_token(&agent_key);
    let (_, page) = app.list("limit=1").await;
    let customer_id = page["items"][0]["customer"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let (status, customer) = app
        .get_json(&format!("/api/v1/customers/{customer_id}"))
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(customer["id"], customer_id);
    assert!(customer["full_name"].is_string());
    assert!(!customer["history"].as_array().expect("history").is_empty());
    let actions = customer["actions"].as_array().expect("actions");
    assert!(actions.iter().any(|a| a["id"] == page["items"][0]["id"]));
    app.get_problem(
        &format!("/api/v1/customers/{}", uuid::Uuid::now_v7()),
        StatusCode::NOT_FOUND,
    )
    .await;
}
