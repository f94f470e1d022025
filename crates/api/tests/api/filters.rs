use std::collections::BTreeSet;

use chrono::Duration;
use inbox_api::db::entities::{agents, customers};
use rstest_reuse::apply;
use serde_json::Value;

use crate::helpers::{
    backends, error_fields, every_page, ids, item_ids, spawn_app, Backend, Fixture, TestApp,
};

struct World {
    fixture: Fixture,
    other_agent: agents::Model,
    other_customer: customers::Model,
}

/// Twelve actions that differ in every filterable column.
async fn world(app: &TestApp) -> World {
    let fixture = Fixture::new(app).await;
    let other_agent = app
        .insert(agents::Model {
            id: uuid::Uuid::now_v7(),
            slug: "lead_follow_up".into(),
            name: "Lead Follow-up".into(),
            ..fixture.agent.clone()
        })
        .await;
    let other_customer = app
        .insert(customers::Model {
            id: uuid::Uuid::now_v7(),
            full_name: "Bob Jones".into(),
            company: Some("Acme Corp".into()),
            customer_type: inbox_domain::CustomerType::Lead,
            search_key: inbox_api::db::search_key(&[Some("Bob Jones"), Some("Acme Corp")]),
            ..fixture.customer.clone()
        })
        .await;
    use inbox_domain::{
        ActionType::{DraftMessage, InternalNote, TaskReminder, VoiceOutreach},
        Channel::{Email, Voice},
        Priority,
    };
    let now = app.now();
    let shapes = [
        (DraftMessage, Some(Email), Priority::Low, 40, "Alpha"),
        (VoiceOutreach, Some(Voice), Priority::Critical, 95, "Bravo"),
        (InternalNote, None, Priority::Medium, 60, "Charlie"),
        (TaskReminder, None, Priority::High, 75, "Delta"),
    ];
    for index in 0..12usize {
        let (action_type, channel, priority, confidence, word) = shapes[index % 4];
        let (agent, customer) = if index % 3 == 0 {
            (&other_agent, &other_customer)
        } else {
            (&fixture.agent, &fixture.customer)
        };
        fixture
            .action(app, now - Duration::hours(index as i64 * 6), |a| {
                a.agent_id = agent.id;
                a.customer_id = customer.id;
                a.action_type = action_type;
                a.channel = channel;
                a.priority = priority;
                a.confidence = confidence + (index / 4) as i16;
                a.headline = format!("{word} {index:02}");
                a.expires_at = now + Duration::days(index as i64 + 1);
            })
            .await;
    }
    World {
        fixture,
        other_agent,
        other_customer,
    }
}

#[apply(backends)]
async fn every_filter_narrows_the_list(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let world = world(&app).await;
    let count = |query: String| {
        let app = &app;
        async move {
            let (status, page) = app.list(&format!("limit=200&{query}")).await;
            assert_eq!(status, 200, "{query}: {page}");
            assert_eq!(
                page["total"].as_u64().expect("total") as usize,
                page["items"].as_array().expect("items").len()
            );
            page["total"].as_u64().expect("total")
        }
    };
    let now = app.now();
    assert_eq!(count(String::new()).await, 12);
    assert_eq!(count(format!("agent_id={}", world.other_agent.id)).await, 4);
    assert_eq!(
        count("q=zoe".into()).await,
        8,
        "accents and case do not matter"
    );
    assert_eq!(count("q=CAFE%20OLE".into()).await, 8, "company matches");
    assert_eq!(count("q=acme".into()).await, 4);
    assert_eq!(count("q=bo".into()).await, 4, "two characters match too");
    assert_eq!(count("q=b%20jo".into()).await, 4, "a space is a character");
    assert_eq!(
        count("q=%22acme%22".into()).await,
        0,
        "quotes are characters"
    );
    assert_eq!(
        count("q=100%25".into()).await,
        0,
        "a % is a character, not a wildcard"
    );
    assert_eq!(count("confidence_min=90".into()).await, 3);
    assert_eq!(count("confidence_min=60&confidence_max=80".into()).await, 6);
    assert_eq!(
        count("confidence_min=80&confidence_max=20".into()).await,
        0,
        "an empty range"
    );
    assert_eq!(count("priority=high&priority=critical".into()).await, 6);
    assert_eq!(count("channel=voice".into()).await, 3);
    assert_eq!(
        count("action_type=internal_note&action_type=task_reminder".into()).await,
        6
    );
    let since = (now - Duration::hours(13)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(count(format!("created_from={since}")).await, 3);
    let before = (now - Duration::hours(60)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(count(format!("created_to={before}")).await, 1);
    let day = (now + Duration::days(3)).date_naive();
    assert_eq!(
        count(format!("expires_to={day}")).await,
        3,
        "a date takes the whole day"
    );
    assert_eq!(
        count(format!(
            "q=bob&channel=email&agent_id={}",
            world.other_agent.id
        ))
        .await,
        1
    );
    let _ = (&world.fixture, &world.other_customer);
}

#[apply(backends)]
async fn invalid_filters_are_named(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    world(&app).await;
    for (query, field) in [
        ("agent_id=nope", "agent_id"),
        ("confidence_min=101", "confidence_min"),
        ("priority=urgent", "priority"),
        ("channel=fax", "channel"),
        ("action_type=letter", "action_type"),
        ("created_from=yesterday", "created_from"),
        ("statuses=pending", "query"),
    ] {
        let problem = app
            .get_problem(
                &format!("/api/v1/actions?{query}"),
                reqwest::StatusCode::BAD_REQUEST,
            )
            .await;
        assert!(
            error_fields(&problem).contains(&field),
            "{query} names `{field}`: {problem}"
        );
    }
}

#[apply(backends)]
async fn every_column_sorts_both_ways_across_pages(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    world(&app).await;
    let all: BTreeSet<String> = ids(&app.list("limit=200").await.1).into_iter().collect();
    let key = |column: &str, item: &Value| -> Value {
        match column {
            "subject" => item["subject"].clone(),
            "customer" => item["customer"]["full_name"].clone(),
            "agent" => item["agent"]["name"].clone(),
            "channel" => Value::String(item["channel"].as_str().unwrap_or("").to_owned()),
            "priority" => Value::from(
                ["low", "medium", "high", "critical"]
                    .iter()
                    .position(|p| item["priority"] == *p),
            ),
            other => item[other].clone(),
        }
    };
    let ordered = |a: &Value, b: &Value| match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() <= b.as_f64(),
        (Value::String(a), Value::String(b)) => a <= b,
        _ => false,
    };
    for column in [
        "subject",
        "customer",
        "agent",
        "action_type",
        "channel",
        "confidence",
        "priority",
        "status",
        "created_at",
        "expires_at",
    ] {
        for descending in [false, true] {
            let sort = if descending {
                format!("-{column}")
            } else {
                column.to_owned()
            };
            let items = every_page(&app, &format!("/api/v1/actions?limit=5&sort={sort}")).await;
            let seen: BTreeSet<String> = item_ids(&items).into_iter().collect();
            assert_eq!(items.len(), 12, "{sort}: no repeats");
            assert_eq!(seen, all, "{sort}: every action once");
            for pair in items.windows(2) {
                let (a, b) = (key(column, &pair[0]), key(column, &pair[1]));
                let in_order = if descending {
                    ordered(&b, &a)
                } else {
                    ordered(&a, &b)
                };
                assert!(in_order, "{sort}: {a} then {b}");
            }
        }
    }
}

/// Each row says how many of its customer's actions wait in Pending, so the app can group them.
#[apply(backends)]
async fn each_row_counts_its_customers_pending_actions(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let other = crate::helpers::other_customer(&app, &fixture).await;
    let now = app.now();
    for minutes in 1..=3 {
        fixture
            .action(&app, now - Duration::minutes(minutes), |_| {})
            .await;
    }
    fixture
        .action(&app, now - Duration::minutes(4), |a| {
            a.status = inbox_domain::ActionStatus::Rejected;
        })
        .await;
    fixture
        .action(&app, now - Duration::minutes(5), |a| a.customer_id = other)
        .await;

    let (_, page) = app.list("").await;
    let counts: Vec<(String, u64)> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["customer"]["id"].as_str().expect("id").to_owned(),
                item["pending_for_customer"].as_u64().expect("a count"),
            )
        })
        .collect();
    assert_eq!(counts.len(), 4, "{page}");
    for (customer, count) in counts {
        let expected = if customer == other.to_string() { 1 } else { 3 };
        assert_eq!(count, expected, "customer {customer}");
    }
    let (_, rejected) = app.list("status=rejected").await;
    assert_eq!(
        rejected["items"][0]["pending_for_customer"], 3,
        "counted from any segment"
    );
}

/// A customer with more pending actions than a row counts says so at the cap: each row reads at
/// most that many of the customer's index entries.
#[apply(backends)]
async fn a_customers_pending_actions_are_counted_up_to_the_cap(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let cap = inbox_domain::dto::PENDING_FOR_CUSTOMER_CAP;
    let now = app.now();
    for minutes in 0..i64::from(cap) + 5 {
        fixture
            .action(&app, now - Duration::minutes(minutes + 1), |_| {})
            .await;
    }
    let (_, page) = app.list("limit=5").await;
    for item in page["items"].as_array().expect("items") {
        assert_eq!(item["pending_for_customer"], cap, "{item}");
    }
}
