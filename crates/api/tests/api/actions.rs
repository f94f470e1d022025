use chrono::Duration;
use inbox_api::db::actions::lifecycle_of;
use inbox_api::db::entities::{action_events, actions};
use inbox_domain::{ActionStatus, EventKind};
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::json;

use crate::helpers::{
    backends, error_fields, every_page, ids, item_ids, spawn_app, Backend, Fixture, TestApp,
};

/// The ids on every page of `path` (which must not hold a cursor), following `next_cursor`.
async fn walk(app: &TestApp, path: &str) -> Vec<String> {
    item_ids(&every_page(app, path).await)
}

#[apply(backends)]
async fn the_list_shows_pending_actions_newest_first_by_default(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let older = fixture.action(&app, now - Duration::hours(5), |_| {}).await;
    let newest = fixture
        .action(&app, now - Duration::minutes(10), |_| {})
        .await;
    let middle = fixture.action(&app, now - Duration::hours(2), |_| {}).await;
    fixture
        .action(&app, now - Duration::hours(1), |a| {
            a.status = ActionStatus::Approved;
            a.approved_at = Some(now);
        })
        .await;

    let (status, page) = app.list("").await;

    assert_eq!(status, 200);
    assert_eq!(page["total"], 3);
    assert_eq!(page["next_cursor"], json!(null));
    assert_eq!(
        ids(&page),
        [newest.id, middle.id, older.id].map(|id| id.to_string())
    );
    let row = &page["items"][0];
    assert_eq!(
        row["subject"], "Payment reminder: Invoice #1234",
        "variables are filled in"
    );
    assert_eq!(row["customer"]["full_name"], "Zoë Müller");
    assert_eq!(row["customer"]["company"], "Café Olé GmbH");
    assert_eq!(row["customer"]["customer_type"], "member");
    assert_eq!(row["agent"]["name"], "Due Invoice Reminders");
    assert_eq!(row["action_type"], "draft_message");
    assert_eq!(row["channel"], "email");
    assert_eq!(row["confidence"], 87);
    assert_eq!(row["priority"], "high");
    assert_eq!(row["status"], "pending");
    assert_eq!(row["version"], 1);
    assert_eq!(row["created_at"], json!(newest.created_at));
    assert_eq!(row["expires_at"], json!(newest.expires_at));
}

#[apply(backends)]
async fn several_segments_can_be_listed_together(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    fixture.action(&app, now - Duration::hours(1), |_| {}).await;
    let approved = fixture
        .action(&app, now - Duration::hours(2), |a| {
            a.status = ActionStatus::Approved
        })
        .await;
    let rejected = fixture
        .action(&app, now - Duration::hours(3), |a| {
            a.status = ActionStatus::Rejected
        })
        .await;

    let (_, page) = app.list("status=approved&status=rejected").await;

    assert_eq!(page["total"], 2);
    assert_eq!(
        ids(&page),
        [approved.id, rejected.id].map(|id| id.to_string())
    );
}

#[apply(backends)]
async fn pages_hold_every_action_once_even_when_times_tie(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut expected = fixture
        .actions_minutes_ago(&app, [1, 2, 3, 3, 3, 3, 4, 5, 6, 7, 7, 8])
        .await;
    // Newest first; among equal times, the larger id first.
    expected.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let expected: Vec<String> = expected.iter().map(|a| a.id.to_string()).collect();

    assert_eq!(walk(&app, "/api/v1/actions?limit=5").await, expected);

    let mut ascending = expected.clone();
    ascending.reverse();
    assert_eq!(
        walk(&app, "/api/v1/actions?limit=4&sort=created_at").await,
        ascending
    );
}

#[apply(backends)]
async fn an_action_proposed_while_paging_does_not_shift_the_pages(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    fixture
        .actions_minutes_ago(&app, (1..=6).map(|tens| tens * 10))
        .await;
    let (_, first) = app.list("limit=3").await;
    fixture.action(&app, now, |_| {}).await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = app.list(&format!("limit=3&cursor={cursor}")).await;

    let mut all = ids(&first);
    all.extend(ids(&second));
    all.dedup();
    assert_eq!(all.len(), 6, "no row repeated or skipped");
    assert_eq!(second["total"], 7, "the total counts the new action");
}

#[apply(backends)]
async fn an_action_past_its_expiry_never_reads_as_pending(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let expiring = fixture
        .action(&app, now - Duration::hours(1), |a| {
            a.expires_at = now + Duration::hours(1)
        })
        .await;
    let staying = fixture.action(&app, now - Duration::hours(2), |_| {}).await;

    app.clock.advance(Duration::hours(2));

    let (_, pending) = app.list("status=pending").await;
    assert_eq!(ids(&pending), [staying.id.to_string()]);
    let (_, expired) = app.list("status=expired").await;
    assert_eq!(ids(&expired), [expiring.id.to_string()]);
    assert_eq!(expired["items"][0]["status"], "expired");
    let (_, detail) = app.get_action(expiring.id).await;
    assert_eq!(detail["status"], "expired");
}

/// Changes a fixture action into the lifecycle a test needs.
type Shape = Box<dyn Fn(&mut actions::Model)>;

/// The list's SQL filter and the domain's `status_at` must agree on every lifecycle at every
/// moment, or a segment would show an action another screen disagrees with.
#[apply(backends)]
async fn segments_agree_with_the_domain_state_machine_at_any_time(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let start = app.now();
    let h = Duration::hours;
    let shapes: Vec<Shape> = vec![
        Box::new(|_| {}),
        Box::new(move |a| a.expires_at = start + h(3)),
        Box::new(move |a| {
            a.status = ActionStatus::Snoozed;
            a.snoozed_until = Some(start + h(2));
        }),
        Box::new(move |a| {
            a.status = ActionStatus::Snoozed;
            a.snoozed_until = Some(start + h(4));
            a.expires_at = start + h(3);
        }),
        Box::new(move |a| {
            a.status = ActionStatus::Deferred;
            a.deferred_until = Some(start + h(1));
        }),
        Box::new(move |a| {
            a.status = ActionStatus::Deferred;
            a.deferred_until = Some(start + h(5));
            a.expires_at = start + h(3);
        }),
        Box::new(move |a| {
            a.status = ActionStatus::Deferred;
            a.approved_awaiting_send = true;
            a.deferred_until = Some(start + h(5));
            a.expires_at = start + h(1);
        }),
        Box::new(|a| a.status = ActionStatus::Approved),
        Box::new(|a| a.status = ActionStatus::Rejected),
        Box::new(|a| a.status = ActionStatus::Expired),
        Box::new(|a| a.status = ActionStatus::AutoExecuted),
    ];
    let mut stored = Vec::new();
    for shape in &shapes {
        stored.push(fixture.action(&app, start - h(1), |a| shape(a)).await);
    }

    for offset in [0, 1, 2, 3, 4, 5, 6, 100] {
        app.clock.set(start + h(offset));
        let now = app.now();
        for status in ActionStatus::ALL {
            let mut expected: Vec<String> = stored
                .iter()
                .filter(|a| {
                    let lifecycle = lifecycle_of(a);
                    lifecycle.status_at(now) == *status
                })
                .map(|a| a.id.to_string())
                .collect();
            let (_, page) = app.list(&format!("status={status}&limit=200")).await;
            let mut listed = ids(&page);
            expected.sort();
            listed.sort();
            assert_eq!(listed, expected, "{status} at +{offset}h");
            assert!(page["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|i| i["status"] == status.as_str()));
        }
    }
}

#[apply(backends)]
async fn the_detail_holds_the_draft_the_customer_and_the_history(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let now = app.now();
    let earlier = fixture
        .action(&app, now - Duration::days(3), |a| {
            a.status = ActionStatus::Approved
        })
        .await;
    let action = fixture.action(&app, now - Duration::hours(1), |_| {}).await;
    app.insert(action_events::Model {
        id: uuid::Uuid::now_v7(),
        location_id: fixture.location.id,
        action_id: action.id,
        kind: EventKind::Proposed,
        from_status: None,
        to_status: Some(ActionStatus::Pending),
        actor: format!("agent:{}", fixture.agent.id),
        occurred_at: action.created_at,
        version: 1,
        data: json!({}),
    })
    .await;

    let (status, detail) = app.get_action(action.id).await;

    assert_eq!(status, 200);
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["draft"]["to"], "zoe@cafe-ole.example");
    assert_eq!(detail["draft"]["from"], "hello@fixture.example");
    assert_eq!(detail["draft"]["signature"], "The Fixture team");
    assert_eq!(
        detail["draft"]["subject"],
        "Payment reminder: Invoice #{{invoice_number}}"
    );
    assert_eq!(detail["draft"]["variables"]["invoice_number"], "1234");
    assert_eq!(detail["customer"]["plan"], "Hot Desk Monthly");
    assert_eq!(detail["agent"]["name"], "Due Invoice Reminders");
    assert_eq!(
        detail["trigger"]["summary"],
        "Invoice #1234 is 5 days overdue."
    );
    assert_eq!(
        detail["confidence_factors"][0]["label"],
        "Strong payment history"
    );
    assert_eq!(detail["history"][0]["kind"], "proposed");
    assert_eq!(detail["history"][0]["to_status"], "pending");
    assert_eq!(detail["earlier_actions"][0]["id"], earlier.id.to_string());
    assert_eq!(detail["earlier_actions"].as_array().expect("list").len(), 1);
}

#[apply(backends)]
async fn bad_list_parameters_are_named_in_a_problem(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    fixture.action(&app, app.now(), |_| {}).await;
    let (_, page) = app.list("limit=1&sort=-created_at").await;
    let cursor = page["next_cursor"].as_str().map(str::to_owned);
    fixture
        .action(&app, app.now() - Duration::hours(1), |_| {})
        .await;
    let (_, page) = app.list("limit=1&sort=-created_at").await;
    let cursor = page["next_cursor"]
        .as_str()
        .map(str::to_owned)
        .or(cursor)
        .expect("a cursor");

    for (query, field) in [
        ("status=archived", "status"),
        ("status=pending&status=bogus", "status"),
        ("sort=colour", "sort"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        (&format!("sort=confidence&cursor={cursor}"), "cursor"),
    ] {
        let problem = app
            .get_problem(&format!("/api/v1/actions?{query}"), StatusCode::BAD_REQUEST)
            .await;
        assert_eq!(
            problem["type"], "urn:ai-inbox:problem:invalid-request",
            "{query}"
        );
        assert!(
            error_fields(&problem).contains(&field),
            "{query} names `{field}`: {problem}"
        );
    }
}

#[apply(backends)]
async fn an_unknown_or_malformed_action_id_is_a_problem(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    Fixture::new(&app).await;
    let problem = app
        .get_problem(
            &format!("/api/v1/actions/{}", uuid::Uuid::now_v7()),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_eq!(problem["type"], "urn:ai-inbox:problem:not-found");
    let problem = app
        .get_problem("/api/v1/actions/42", StatusCode::BAD_REQUEST)
        .await;
    assert_eq!(problem["errors"][0]["field"], "id");
}
