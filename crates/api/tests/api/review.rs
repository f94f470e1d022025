use chrono::Duration;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::json;

use crate::helpers::{
    app_with_proposal, assert_field_error, backends, event_kinds, id_of, proposal, spawn_app,
    Backend, Fixture,
};

#[apply(backends)]
async fn approving_records_who_when_and_the_first_review(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    app.clock.advance(Duration::minutes(30));

    let (status, approved) = app
        .review(&id, "approve", json!({"expected_version": 1}))
        .await;

    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["version"], 2);
    assert_eq!(approved["decisions"]["approved_at"], json!(app.now()));
    assert_eq!(approved["decisions"]["first_reviewed_at"], json!(app.now()));
    let event = &approved["history"][1];
    assert_eq!(event["kind"], "approved");
    assert_eq!(
        (event["from_status"].clone(), event["to_status"].clone()),
        (json!("pending"), json!("approved"))
    );
    assert!(event["actor"]
        .as_str()
        .is_some_and(|actor| actor.starts_with("key:")));
    let (_, metrics) = app.get_json("/api/v1/metrics").await;
    assert_eq!(metrics["approved_today"], 1);
    assert_eq!(metrics["avg_review_time_seconds"], json!(1800.0));
}

#[apply(backends)]
async fn edit_and_approve_keeps_the_edit_as_before_and_after(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let friendlier = json!({"subject": "A friendly reminder: invoice #{{invoice_number}}"});

    let (status, approved) = app.review(&id, "approve", friendlier).await;

    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(
        approved["draft"]["subject"],
        "A friendly reminder: invoice #{{invoice_number}}"
    );
    let edit = &approved["history"][1]["data"]["edit"];
    assert_eq!(
        edit["before"]["subject"],
        "Payment reminder: Invoice #{{invoice_number}}"
    );
    assert_eq!(
        edit["after"]["subject"],
        "A friendly reminder: invoice #{{invoice_number}}"
    );
    let (_, list) = app.list("status=approved").await;
    assert_eq!(
        list["items"][0]["subject"],
        "A friendly reminder: invoice #1234"
    );
}

#[apply(backends)]
async fn a_draft_with_an_unknown_variable_cannot_be_sent(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let unknown = json!({"body": "<p>Pay {{amount_due}} today</p>"});

    let answer = app.review(&id, "approve", unknown).await;

    let problem = assert_field_error(answer, StatusCode::UNPROCESSABLE_ENTITY, "body");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("{{amount_due}}"));
    let (_, detail) = app.get_action(&id).await;
    assert_eq!(detail["status"], "pending", "nothing changed");
    assert_eq!(detail["version"], 1);
}

#[apply(backends)]
async fn a_stale_version_or_a_decided_action_is_a_conflict_with_the_current_status(
    #[case] backend: Backend,
) {
    let (app, _, id) = app_with_proposal(backend).await;
    let (status, _) = app
        .edit(
            &id,
            json!({"expected_version": 1, "subject": "New subject"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let stale_reject = json!({"expected_version": 1, "reason": "poor_timing"});
    let (status, stale) = app.review(&id, "reject", stale_reject).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stale["current_status"], "pending");
    assert_eq!(stale["current_version"], 2);

    let by_header = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/actions/{id}/approve"),
        )
        .header("If-Match", "\"1\"")
        .send()
        .await
        .expect("sent");
    assert_eq!(by_header.status(), StatusCode::CONFLICT);

    let (status, _) = app
        .review(&id, "approve", json!({"expected_version": 2}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, decided) = app.review(&id, "snooze", json!({"duration": "1h"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(decided["current_status"], "approved");
    assert_eq!(decided["current_version"], 3);
    assert_eq!(
        event_kinds(&app, &id).await,
        ["proposed", "edited", "approved"]
    );
}

#[apply(backends)]
async fn rejecting_needs_a_reason_and_a_note_for_other(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;

    let without_note = app.review(&id, "reject", json!({"reason": "other"})).await;
    assert_field_error(without_note, StatusCode::UNPROCESSABLE_ENTITY, "note");
    let unknown_reason = app.review(&id, "reject", json!({"reason": "bored"})).await;
    assert_field_error(unknown_reason, StatusCode::BAD_REQUEST, "reason");

    let with_note = json!({"reason": "other", "note": "Called them instead."});
    let (status, rejected) = app.review(&id, "reject", with_note).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decisions"]["rejection_reason"], "other");
    assert_eq!(
        rejected["decisions"]["rejection_note"],
        "Called them instead."
    );
    assert_eq!(rejected["history"][1]["data"]["reason"], "other");
}

#[apply(backends)]
async fn snoozing_takes_a_preset_or_a_future_time(#[case] backend: Backend) {
    let (app, fixture, first) = app_with_proposal(backend).await;
    let (status, second) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");

    let four_hours = json!({"duration": "4h", "note": "Ask the manager"});
    let (status, snoozed) = app.review(&first, "snooze", four_hours).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(snoozed["status"], "snoozed");
    assert_eq!(
        snoozed["decisions"]["snoozed_until"],
        json!(app.now() + Duration::hours(4))
    );
    assert_eq!(snoozed["decisions"]["snooze_note"], "Ask the manager");

    let second = id_of(&second);
    for (body, field) in [
        (json!({"until": app.now() - Duration::minutes(1)}), "until"),
        (json!({}), "duration"),
        (
            json!({"duration": "1h", "until": app.now() + Duration::hours(2)}),
            "duration",
        ),
    ] {
        let (status, problem) = app.review(second, "snooze", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let until = app.now() + Duration::days(2);
    let (_, custom) = app.review(second, "snooze", json!({"until": until})).await;
    assert_eq!(custom["decisions"]["snoozed_until"], json!(until));
}

#[apply(backends)]
async fn draft_edits_need_the_version_and_an_undecided_action(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;

    let (status, problem) = app.edit(&id, json!({"subject": "x"})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "expected_version is required: {problem}"
    );
    let script = app
        .edit(&id, json!({"expected_version": 1, "script": "Hello"}))
        .await;
    assert_field_error(script, StatusCode::UNPROCESSABLE_ENTITY, "script");

    let (status, edited) = app
        .edit(
            &id,
            json!({"expected_version": 1, "body": "<p>Hello <em>{{first_name}}</em></p><img src=x onerror=alert(1)>"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["status"], "pending");
    assert_eq!(
        edited["draft"]["body"],
        "<p>Hello <em>{{first_name}}</em></p><img src=\"x\">"
    );
}

#[apply(backends)]
async fn the_preview_is_what_the_customer_receives(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut body = proposal(&fixture);
    body["variables"] = json!({"invoice_number": "<1234>"});
    let (_, action) = app.propose(&body).await;
    let id = id_of(&action);

    let (status, preview) = app.review(id, "preview", json!({})).await;

    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["subject"], "Payment reminder: Invoice #<1234>");
    assert_eq!(
        preview["body_html"],
        "<p>Hi Zoë,</p><p>Invoice #&lt;1234&gt; is overdue.</p><p class=\"signature\">The Fixture team</p>"
    );
    let text = preview["body_text"].as_str().expect("text");
    assert!(
        text.contains("Hi Zoë,")
            && text.contains("Invoice #<1234> is overdue.")
            && text.ends_with("The Fixture team"),
        "{text}"
    );
    assert_eq!(preview["unknown_variables"], json!([]));

    let owing = json!({"body": "<p>{{first_name}} owes {{amount}}</p>"});
    let (_, edited) = app.review(id, "preview", owing).await;
    assert_eq!(edited["unknown_variables"], json!(["amount"]));
    assert!(edited["body_html"]
        .as_str()
        .expect("html")
        .starts_with("<p>Zoë owes {{amount}}</p>"));
}

#[apply(backends)]
async fn outcomes_and_responses_follow_a_sent_action(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;
    let outcome = json!({"kind": "payment_made", "occurred_at": app.now() + Duration::hours(3), "data": {"amount": "£120.00"}});

    let (status, problem) = app.review(&id, "outcome", outcome.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "not sent yet");
    assert_eq!(problem["current_status"], "pending");

    app.review(&id, "approve", json!({})).await;
    let (status, recorded) = app.review(&id, "outcome", outcome).await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(recorded["kind"], "payment_made");
    let response = json!({"conversation_id": "conv_8812", "excerpt": "Paid, thanks!", "received_at": app.now() + Duration::hours(2)});
    let (status, linked) = app.review(&id, "responses", response).await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");

    let (_, detail) = app.get_action(&id).await;
    assert_eq!(detail["outcomes"][0]["data"]["amount"], "£120.00");
    assert_eq!(detail["responses"][0]["conversation_id"], "conv_8812");
    assert_eq!(
        event_kinds(&app, &id).await,
        [
            "proposed",
            "approved",
            "outcome_reported",
            "response_linked"
        ]
    );
}

#[apply(backends)]
async fn a_misspelt_field_is_refused_rather_than_ignored(#[case] backend: Backend) {
    let (app, _, id) = app_with_proposal(backend).await;

    let (status, problem) = app
        .review(&id, "approve", json!({"expectedVersion": 7}))
        .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("expectedVersion"));
    let (_, detail) = app.get_action(&id).await;
    assert_eq!(detail["status"], "pending", "nothing was approved");
}

#[apply(backends)]
async fn markup_alone_is_a_blank_body_and_filled_links_cannot_run_scripts(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut empty = proposal(&fixture);
    empty["body"] = json!("<script>alert(1)</script>");
    assert_field_error(
        app.propose(&empty).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "body",
    );

    let mut linked = proposal(&fixture);
    linked["body"] = json!("<p><a href=\"{{link}}\">Pay now</a></p>");
    linked["variables"] = json!({"invoice_number": "1", "link": "javascript:alert(1)"});
    let (_, action) = app.propose(&linked).await;
    let (_, preview) = app.review(id_of(&action), "preview", json!({})).await;
    let html = preview["body_html"].as_str().expect("html");
    assert!(
        html.contains("Pay now") && !html.contains("javascript:"),
        "{html}"
    );
}
