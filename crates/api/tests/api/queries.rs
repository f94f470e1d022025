//! How many statements a read (or a sweep) costs: a few, and the same however many rows it
//! handles, so an N+1 (a query per row) cannot creep back in.

use std::sync::atomic::Ordering;

use chrono::Duration;
use inbox_domain::ActionStatus;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::json;

use crate::helpers::{backends, proposal, spawn_app, Backend, Fixture, TestApp};

/// The statements one GET of `path` sends to the database.
async fn statements(app: &TestApp, path: &str) -> usize {
    app.queries.store(0, Ordering::SeqCst);
    let (status, body) = app.get_json(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    app.queries.load(Ordering::SeqCst)
}

#[apply(backends)]
async fn reads_cost_a_few_statements_however_many_rows(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let first = fixture
        .action(&app, app.now() - Duration::hours(1), |_| {})
        .await;
    let detail = format!("/api/v1/actions/{}", first.id);
    // Its history has an entry by an API key from the start: the names of its actors are read
    // once for all of them.
    app.review(first.id, "snooze", json!({"duration": "1h"}))
        .await;
    app.clock.advance(Duration::hours(2));
    let few = [
        statements(&app, "/api/v1/actions?limit=50").await,
        statements(&app, &detail).await,
        statements(&app, "/api/v1/metrics").await,
    ];

    fixture
        .actions_minutes_ago(&app, (1..=60).map(|minutes| minutes * 2))
        .await;
    for _ in 0..5 {
        app.review(first.id, "snooze", json!({"duration": "1h"}))
            .await;
        app.clock.advance(Duration::hours(2));
    }
    let many = [
        statements(&app, "/api/v1/actions?limit=50").await,
        statements(&app, &detail).await,
        statements(&app, "/api/v1/metrics").await,
    ];

    assert_eq!(
        many, few,
        "list, detail, metrics: not one more per row or event"
    );
    // Authentication (the key with its location) and the read itself; the list and metrics
    // read segment sizes from the kept counts and the rows whose timers came due, and the list
    // its customers' pending counts, once for the page; the metrics count what expires soon
    // from the pending segment's index; the detail names its history's people and keys with
    // one read of each kind.
    let [list, detail, metrics] = many;
    assert!(list <= 5, "the list: {list}");
    assert!(detail <= 11, "the detail: {detail}");
    assert!(metrics <= 7, "the metrics: {metrics}");
}

/// Metrics asked for again before anything changed, within the second, are the ones computed
/// last; a change computes them afresh, and so does time (after a second they are refreshed
/// behind the answer, see `events.rs`; after two, before it).
#[apply(backends)]
async fn metrics_are_computed_once_per_change_and_second(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let computed = statements(&app, "/api/v1/metrics").await;
    assert_eq!(
        statements(&app, "/api/v1/metrics").await,
        1,
        "only the caller's key is read"
    );

    let (status, _) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, metrics) = app.get_json("/api/v1/metrics").await;
    assert_eq!(
        metrics["pending_review"], 1,
        "the change is counted at once"
    );

    app.clock.advance(Duration::seconds(2));
    assert_eq!(statements(&app, "/api/v1/metrics").await, computed);
}

/// A sweep releasing held proposals reads each one's agent once, not once a proposal: after an
/// outage, with readers holding the pool, a lookup a row made the backlog take minutes to clear
/// (and every list read the fired rows meanwhile).
#[apply(backends)]
async fn a_sweep_reads_each_agent_once_however_many_proposals_it_releases(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let hold = |count: usize| {
        let (app, fixture) = (&app, &fixture);
        async move {
            for _ in 0..count {
                fixture
                    .action(app, app.now() - Duration::hours(2), |action| {
                        action.status = ActionStatus::Deferred;
                        action.deferred_until = Some(app.now() - Duration::minutes(1));
                        action.proposed_by_agent_key = true;
                    })
                    .await;
            }
        }
    };
    let mut swept = Vec::new();
    // Two and twenty: on PostgreSQL more than one change also locks its rows first.
    for count in [2, 20] {
        hold(count).await;
        app.queries.store(0, Ordering::SeqCst);
        let report = app.sweep().await;
        assert_eq!(report.released, count, "{report:?}");
        swept.push(app.queries.load(Ordering::SeqCst));
    }
    assert_eq!(swept[1], swept[0], "not one more statement per proposal");
}
