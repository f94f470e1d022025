//! Segment sizes come from counts kept in each change's transaction, corrected by the rows whose
//! timers came due since the last sweep. They must say what counting the rows says, whatever
//! happened to the actions and whether or not the sweep has run.

use std::collections::BTreeMap;

use chrono::Duration;
use inbox_api::db::entities::{action_counts, actions};
use inbox_domain::ActionStatus;
use reqwest::StatusCode;
use rstest_reuse::apply;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::helpers::{
    backends, error_fields, every_page, id_of, proposal, spawn_app, spawn_app_with, Backend,
    Fixture, TestApp,
};

/// The kept counts, without the empty ones.
async fn kept(app: &TestApp) -> BTreeMap<(String, ActionStatus), i64> {
    action_counts::Entity::find()
        .all(&app.db)
        .await
        .expect("counts read")
        .into_iter()
        .filter(|row| row.count != 0)
        .map(|row| ((row.agent_id.to_string(), row.status), row.count))
        .collect()
}

/// The stored rows, counted by agent and stored status.
async fn counted(app: &TestApp) -> BTreeMap<(String, ActionStatus), i64> {
    let mut counts = BTreeMap::new();
    for row in actions::Entity::find()
        .all(&app.db)
        .await
        .expect("actions read")
    {
        *counts
            .entry((row.agent_id.to_string(), row.status))
            .or_default() += 1;
    }
    counts
}

/// Each segment's `total` as the list reports it from the kept counts, as it reports it when a
/// filter makes it count the rows, and the rows its pages hold.
async fn sizes(app: &TestApp, fixture: &Fixture) -> Vec<(&'static str, [u64; 3])> {
    let mut sizes = Vec::new();
    for status in ActionStatus::ALL.iter().map(|status| status.as_str()) {
        let total = |page: Value| page["total"].as_u64().expect("a total");
        let (_, kept) = app.list(&format!("status={status}&limit=1")).await;
        let (_, of_agent) = app
            .list(&format!(
                "status={status}&limit=1&agent_id={}",
                fixture.agent.id
            ))
            .await;
        assert_eq!(total(of_agent), total(kept.clone()), "one agent: {status}");
        let (_, counted) = app
            .list(&format!("status={status}&limit=1&confidence_min=0"))
            .await;
        let rows = every_page(app, &format!("/api/v1/actions?status={status}&limit=2")).await;
        sizes.push((status, [total(kept), total(counted), rows.len() as u64]));
    }
    sizes
}

async fn assert_sizes_agree(
    app: &TestApp,
    fixture: &Fixture,
    when: &str,
) -> Vec<(&'static str, u64)> {
    assert_eq!(
        kept(app).await,
        counted(app).await,
        "{when}: the kept counts"
    );
    let sizes = sizes(app, fixture).await;
    for (status, [kept, counted, rows]) in &sizes {
        assert_eq!(
            (kept, counted),
            (rows, rows),
            "{when}: the {status} segment's totals against its rows"
        );
    }
    sizes
        .into_iter()
        .map(|(status, [size, ..])| (status, size))
        .collect()
}

#[apply(backends)]
async fn segment_sizes_agree_with_the_rows_through_every_kind_of_change(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut ids = Vec::new();
    for _ in 0..9 {
        let (status, action) = app.propose(&proposal(&fixture)).await;
        assert_eq!(status, StatusCode::CREATED, "{action}");
        ids.push(id_of(&action).to_owned());
    }
    let decisions = [
        (0, "approve", json!({})),
        (1, "approve", json!({})),
        (1, "undo", json!(null)),
        (2, "reject", json!({"reason": "poor_timing"})),
        (3, "snooze", json!({"duration": "1h"})),
        (4, "snooze", json!({"duration": "4h"})),
    ];
    for (index, verb, body) in decisions {
        let (status, answer) = app.review(&ids[index], verb, body).await;
        assert_eq!(status, StatusCode::OK, "{verb}: {answer}");
    }
    let (status, bulk) = app
        .post_json(
            "/api/v1/actions/bulk",
            &json!({"op": "approve", "ids": [ids[5], ids[6]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");

    let decided = assert_sizes_agree(&app, &fixture, "after the decisions").await;
    assert_eq!(
        decided,
        [
            ("pending", 3),
            ("approved", 3),
            ("rejected", 1),
            ("snoozed", 2),
            ("deferred", 0),
            ("expired", 0),
            ("auto_executed", 0)
        ]
    );

    // The short snooze ends; then every undecided action's window closes. No sweep has run:
    // the sizes already say what the rows show.
    app.clock.advance(Duration::hours(2));
    let woke = assert_sizes_agree(&app, &fixture, "a snooze ended, unswept").await;
    assert_eq!((woke[0], woke[3]), (("pending", 4), ("snoozed", 1)));
    app.clock.advance(Duration::days(4));
    let closed = assert_sizes_agree(&app, &fixture, "windows closed, unswept").await;
    assert_eq!((closed[0], closed[5]), (("pending", 0), ("expired", 5)));

    let swept = app.sweep().await;
    assert_eq!(swept.expired, 5, "{swept:?}");
    let after = assert_sizes_agree(&app, &fixture, "after the sweep").await;
    assert_eq!(
        after, closed,
        "the sweep stores what the reads already showed"
    );
}

/// A filtered list counts its matches only up to the server's cap, and says when it stopped;
/// `count=exact` counts them all, and a segment alone is always exact.
#[apply(backends)]
async fn a_filtered_total_stops_at_the_cap_unless_the_exact_count_is_asked_for(
    #[case] backend: Backend,
) {
    let app = spawn_app_with(backend, |settings| settings.count_cap = 3).await;
    let fixture = Fixture::new(&app).await;
    fixture.actions_minutes_ago(&app, 1..=5).await;
    let total = |page: &Value| (page["total"].clone(), page["total_exact"].clone());

    let (_, segment) = app.list("limit=2").await;
    assert_eq!(total(&segment), (json!(5), json!(true)), "{segment}");
    let (_, filtered) = app.list("limit=2&confidence_min=50").await;
    assert_eq!(total(&filtered), (json!(3), json!(false)), "at least 3");
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(2));
    let (_, exact) = app.list("limit=2&confidence_min=50&count=exact").await;
    assert_eq!(total(&exact), (json!(5), json!(true)));
    let (_, none) = app.list("limit=2&confidence_min=99").await;
    assert_eq!(total(&none), (json!(0), json!(true)));

    let problem = app
        .get_problem("/api/v1/actions?count=roughly", StatusCode::BAD_REQUEST)
        .await;
    assert_eq!(error_fields(&problem), ["count"], "{problem}");
}

/// More fired rows than a read looks at one by one (a server that was down for days): the same
/// rule in SQL lists and counts them alike, in the lists and the metrics, before the sweep and
/// after it. Besides the expiries, a snooze that ended (pending again) and an approval whose
/// deferral ended (approved) are in the backlog.
#[apply(backends)]
async fn a_backlog_of_fired_timers_lists_like_a_few(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    fixture.actions_minutes_ago(&app, 1..=1_001).await;
    for _ in 0..2 {
        fixture
            .action(&app, app.now(), |action| {
                action.status = ActionStatus::Approved
            })
            .await;
    }
    let (now, open_for) = (app.now(), Duration::days(30));
    fixture
        .action(&app, now, |action| {
            action.status = ActionStatus::Snoozed;
            action.snoozed_until = Some(now + Duration::hours(1));
            action.expires_at = now + open_for;
        })
        .await;
    fixture
        .action(&app, now, |action| {
            action.status = ActionStatus::Deferred;
            action.deferred_until = Some(now + Duration::hours(1));
            action.approved_awaiting_send = true;
            action.expires_at = now + open_for;
        })
        .await;
    app.clock.advance(Duration::days(4));

    for when in ["unswept", "swept"] {
        let (_, pending) = app.list("status=pending&limit=1").await;
        assert_eq!(pending["total"], 1, "{when}");
        let (_, metrics) = app.get_json("/api/v1/metrics").await;
        assert_eq!(metrics["pending_review"], 1, "{when}: {metrics}");
        let (_, snoozed) = app.list("status=snoozed&status=deferred&limit=1").await;
        assert_eq!(snoozed["total"], 0, "{when}");
        let (_, expired) = app.list("status=expired&limit=1").await;
        assert_eq!(expired["total"], 1_001, "{when}");
        let (_, exact) = app
            .list("status=expired&limit=1&confidence_min=0&count=exact")
            .await;
        assert_eq!(exact["total"], 1_001, "{when}");
        let rows = every_page(&app, "/api/v1/actions?status=expired&limit=200").await;
        assert_eq!(rows.len(), 1_001, "{when}");
        let (_, approved) = app
            .list("status=approved&limit=1&confidence_min=0&count=exact")
            .await;
        assert_eq!(approved["total"], 3, "{when}");
        let (_, approved) = app.list("status=approved&limit=1").await;
        assert_eq!(approved["total"], 3, "{when}: the segment's size");
        if when == "unswept" {
            assert_eq!(app.sweep().await.expired, 1_001);
        }
    }
}
