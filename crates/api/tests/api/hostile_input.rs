//! Input sized to hurt: every free-form field has a limit that is refused with a 422 naming it,
//! and changes nothing; the preview any reader may ask for stays cheap; a snooze cannot outlive
//! its action.

use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::helpers::{
    action_count, backends, call_proposal, error_fields, id_of, proposal, spawn_app, Backend,
    Fixture,
};

/// A change that breaks one rule of a proposal body.
type Breakage = Box<dyn Fn(&mut Value)>;

#[apply(backends)]
async fn every_free_form_field_has_a_limit(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let big = "x".repeat(20_000);
    let cases: Vec<(&str, Breakage)> = vec![
        (
            "variables",
            Box::new(|p| p["variables"]["huge"] = json!("v".repeat(10_001))),
        ),
        (
            "variables",
            Box::new(|p| p["variables"]["n".repeat(65)] = json!("v")),
        ),
        (
            "confidence_factors",
            Box::new(|p| {
                p["confidence_factors"] = json!(vec![json!({"label": "a", "impact": 1}); 21])
            }),
        ),
        (
            "confidence_factors[0].label",
            Box::new(|p| {
                p["confidence_factors"] = json!([{"label": "l".repeat(201), "impact": 1}])
            }),
        ),
        (
            "confidence_factors[0].impact",
            Box::new(|p| p["confidence_factors"] = json!([{"label": "a", "impact": 1000}])),
        ),
        (
            "trigger.data",
            Box::new(move |p| p["trigger"]["data"] = json!({"blob": big.clone()})),
        ),
        (
            "body",
            Box::new(|p| p["body"] = json!("<div>".repeat(20_000))),
        ),
        ("body", Box::new(|p| p["body"] = json!("a".repeat(100_001)))),
        (
            "external_id",
            Box::new(|p| p["external_id"] = json!("e".repeat(201))),
        ),
    ];
    for (field, break_it) in cases {
        let mut body = proposal(&fixture);
        break_it(&mut body);
        let (status, problem) = app.propose(&body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {problem}"
        );
        assert_eq!(error_fields(&problem), [field], "{problem}");
    }
    assert_eq!(action_count(&app).await, 0, "nothing was stored");

    // What follows a sent action is bounded too.
    let (_, action) = app.propose(&proposal(&fixture)).await;
    let id = id_of(&action).to_owned();
    assert_eq!(
        app.review(&id, "approve", json!({})).await.0,
        StatusCode::OK
    );
    let (status, problem) = app
        .review(
            &id,
            "outcome",
            json!({"kind": "payment_made", "occurred_at": app.now(), "data": {"blob": "x".repeat(20_000)}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(error_fields(&problem), ["data"]);
    for conversation_id in ["c".repeat(201), "conv\r\n1".to_owned()] {
        let (status, problem) = app
            .review(
                &id,
                "responses",
                json!({"conversation_id": conversation_id, "excerpt": "Paid!", "received_at": app.now()}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(error_fields(&problem), ["conversation_id"]);
    }
    let (_, detail) = app.get_action(&id).await;
    assert_eq!(detail["outcomes"], json!([]), "{detail}");
}

#[apply(backends)]
async fn a_long_script_makes_a_short_list_headline(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut call = call_proposal(&fixture);
    call["script"] = json!(format!("Hi {} done.", "la ".repeat(30_000)));
    let (status, action) = app.propose(&call).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let (_, page) = app.list("").await;
    let headline = page["items"][0]["subject"].as_str().expect("a headline");
    assert_eq!(headline.chars().count(), 200, "{headline}");
    assert!(headline.ends_with('…'));
}

#[apply(backends)]
async fn a_readers_preview_is_bounded(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["variables"]["big"] = json!("x".repeat(10_000));
    let (status, action) = app.propose(&body).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = id_of(&action).to_owned();
    app.use_token(
        &app.key(fixture.location.id, &[Scope::ActionsRead], None)
            .await,
    );

    for (draft, field) in [
        (json!({"body": "<div>".repeat(20_000)}), "body"),
        (json!({"body": "a".repeat(100_001)}), "body"),
        (json!({"subject": "s".repeat(501)}), "subject"),
        (json!({"subject": "Hi\r\nBcc: all@example.com"}), "subject"),
        // 10,000 characters referenced 1,000 times: ten megabytes, never built.
        (json!({"body": "{{big}}".repeat(1_000)}), "body"),
    ] {
        let (status, problem) = app.review(&id, "preview", draft).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(error_fields(&problem), [field], "{problem}");
    }
    let (status, preview) = app
        .review(&id, "preview", json!({"body": "<p>{{big}}</p>"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview["body_html"]
        .as_str()
        .expect("html")
        .contains(&"x".repeat(10_000)));
}

#[apply(backends)]
async fn a_snooze_past_the_expiry_is_refused_not_silently_expired(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (_, action) = app.propose(&proposal(&fixture)).await;
    let id = id_of(&action).to_owned();
    let expires_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(action["expires_at"].clone()).expect("a time");
    let past_expiry = expires_at + chrono::Duration::minutes(1);

    let (status, problem) = app
        .review(&id, "snooze", json!({"until": past_expiry}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(error_fields(&problem), ["until"]);
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("expires"),
        "{problem}"
    );
    let (_, bulk) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "snooze", "ids": [id], "until": past_expiry}),
        )
        .await;
    assert_eq!(bulk["results"][0]["ok"], false, "{bulk}");
    assert_eq!(bulk["results"][0]["error"]["status"], 422, "{bulk}");
    let (_, detail) = app.get_action(&id).await;
    assert_eq!(
        (detail["status"].clone(), detail["version"].clone()),
        (json!("pending"), json!(1))
    );

    let before_expiry = expires_at - chrono::Duration::minutes(1);
    let (status, _) = app
        .review(&id, "snooze", json!({"until": before_expiry}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[apply(backends)]
async fn an_api_key_name_is_one_short_line(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    Fixture::new(&app).await;
    for name in [
        "k".repeat(101),
        "billing\r\nagent".to_owned(),
        "  ".to_owned(),
    ] {
        let (status, problem) = app
            .post_json(
                "/api/v1/api-keys",
                &json!({"name": name, "scopes": ["actions:read"]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(error_fields(&problem), ["name"], "{problem}");
    }
    let (status, _) = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "k".repeat(100), "scopes": ["actions:read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}
