use rstest_reuse::apply;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{backends, spawn_app, Backend, TestApp};
use inbox_api::{
    db::entities::{action_events, actions, customers},
    seed::{self, SeedReport},
};

#[apply(backends)]
async fn seeding_the_demo_twice_creates_it_once(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let first = seed::demo(&app.db, app.now()).await.expect("seeded");
    assert!(matches!(first, SeedReport::Created { .. }));
    let counts = || async {
        (
            customers::Entity::find()
                .count(&app.db)
                .await
                .expect("count"),
            actions::Entity::find().count(&app.db).await.expect("count"),
            action_events::Entity::find()
                .count(&app.db)
                .await
                .expect("count"),
        )
    };
    let before = counts().await;
    assert_eq!(
        seed::demo(&app.db, app.now()).await.expect("ran"),
        SeedReport::AlreadySeeded
    );
    assert_eq!(counts().await, before);
    assert_eq!(before.0, 40);
    assert!(before.1 >= 195);
}

/// A server whose fresh database holds the demo, asked with the demo agent's key.
async fn demo_app(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    let SeedReport::Created { agent_key, .. } =
        seed::demo(&app.db, app.now()).await.expect("seeded")
    else {
        panic!("a fresh database is seeded");
    };
    app.use_token(&agent_key);
    app
}

#[apply(backends)]
async fn the_demo_inbox_lists_every_segment(#[case] backend: Backend) {
    let app = demo_app(backend).await;
    for status in [
        "pending",
        "approved",
        "rejected",
        "snoozed",
        "deferred",
        "expired",
        "auto_executed",
    ] {
        let (code, page) = app
            .get_json(&format!("/api/v1/actions?status={status}&limit=200"))
            .await;
        assert_eq!(code, 200);
        assert!(
            page["total"].as_u64().expect("total") > 0,
            "the demo has {status} actions"
        );
        assert!(page["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|item| item["status"] == status));
    }
}

#[apply(backends)]
async fn a_year_of_history_is_added_up_to_the_total_once(#[case] backend: Backend) {
    use inbox_api::db::entities::deliveries;
    use sea_orm::{ColumnTrait, QueryFilter};
    let app = demo_app(backend).await;

    let report = seed::history::top_up(&app.db, app.now(), 3_000)
        .await
        .expect("topped up");

    assert_eq!(report.before + report.added, 3_000);
    if let Some(file) = app.sqlite_file() {
        let log = file.with_extension("db-wal");
        let size = std::fs::metadata(&log).map_or(0, |meta| meta.len());
        assert_eq!(size, 0, "the load's write-ahead log is emptied");
    }
    let again = seed::history::top_up(&app.db, app.now(), 3_000)
        .await
        .expect("ran");
    assert_eq!(again.added, 0, "idempotent");
    let total = |status: &'static str| {
        let app = &app;
        async move {
            let (_, page) = app
                .get_json(&format!("/api/v1/actions?status={status}&limit=1"))
                .await;
            page["total"].as_u64().expect("total")
        }
    };
    // The mix of a year: mostly decided, a few still waiting (the demo's 200 add to each).
    let approved = total("approved").await;
    assert!((800..1_300).contains(&approved), "{approved} approved");
    let pending = total("pending").await;
    assert!((150..350).contains(&pending), "{pending} pending");
    assert!(total("expired").await > 300);
    let auto_executed = total("auto_executed").await;
    // Every approved or auto-executed action of the history was sent, exactly once.
    let sent = deliveries::Entity::find()
        .filter(deliveries::Column::State.eq(inbox_domain::delivery::DeliveryState::Sent))
        .count(&app.db)
        .await
        .expect("counted");
    let demo_decided = 200; // at most: the demo's own approvals were never delivered
    assert!(
        sent <= approved + auto_executed && sent + demo_decided >= approved + auto_executed,
        "{sent} sent for {approved} approved and {auto_executed} auto-executed"
    );
    // The history is in Insights' tallies as if it had come through the API: a rebuild from
    // the history comes to the same numbers.
    let (_, loaded) = app.get_json("/api/v1/insights?period=90").await;
    assert!(
        loaded["totals"]["proposed"].as_u64() > Some(300),
        "{}",
        loaded["totals"]
    );
    let location = inbox_api::db::locations::find_by_slug(&app.db, "demo")
        .await
        .expect("the demo");
    inbox_api::db::insights::rebuild(&app.db, location.id)
        .await
        .expect("rebuilt");
    let (_, rebuilt) = app.get_json("/api/v1/insights?period=90").await;
    assert_eq!(loaded, rebuilt);
    // Each action's history ends at its version, as it would through the API (the demo's own
    // actions are of the last days).
    let before_the_demo = (app.now() - chrono::Duration::days(10)).date_naive();
    let (_, page) = app
        .get_json(&format!(
            "/api/v1/actions?status=approved&limit=5&created_to={before_the_demo}"
        ))
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(5), "{page}");
    for item in page["items"].as_array().expect("items") {
        let (_, detail) = app.get_action(item["id"].as_str().expect("id")).await;
        let history = detail["history"].as_array().expect("history");
        let kinds: Vec<&str> = history.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["proposed", "approved", "sent"], "{}", item["id"]);
        assert_eq!(detail["delivery"]["state"], "sent");
        assert_eq!(history[1]["version"], detail["version"]);
    }
}

/// Every index of the database, by name, with its definition.
async fn indexes(app: &TestApp) -> Vec<(String, String)> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT indexname AS name, indexdef AS definition FROM pg_indexes \
             WHERE schemaname = current_schema() ORDER BY indexname"
        }
        _ => {
            "SELECT name, COALESCE(sql, '') AS definition FROM sqlite_master \
             WHERE type = 'index' ORDER BY name"
        }
    };
    app.db
        .query_all(Statement::from_string(backend, sql))
        .await
        .expect("indexes listed")
        .iter()
        .map(|row| {
            (
                row.try_get("", "name").expect("name"),
                row.try_get("", "definition").expect("definition"),
            )
        })
        .collect()
}

/// A load larger than the history there is written without the secondary indexes and builds
/// them again; a smaller one writes through them. Either way they end as they were.
#[apply(backends)]
async fn a_large_load_builds_every_index_again_as_it_was(#[case] backend: Backend) {
    let app = demo_app(backend).await;
    let before = indexes(&app).await;
    assert!(before.len() > 20, "{before:?}");

    let large = seed::history::top_up(&app.db, app.now(), 1_000)
        .await
        .expect("loaded");
    assert!(large.added > large.before);
    assert_eq!(indexes(&app).await, before);
    let small = seed::history::top_up(&app.db, app.now(), 1_100)
        .await
        .expect("loaded");
    assert_eq!(small.added, 100);
    assert_eq!(indexes(&app).await, before);
    let (_, page) = app
        .get_json("/api/v1/actions?status=approved&sort=customer&limit=1")
        .await;
    assert!(page["total"].as_u64() > Some(300), "{page}");
}
