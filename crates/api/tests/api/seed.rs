use rstest_reuse::apply;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{backends, spawn_app, Backend};
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

#[apply(backends)]
async fn the_demo_inbox_lists_every_segment(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let SeedReport::Created { agent_key, .. } =
        seed::demo(&app.db, app.now()).await.expect("seeded")
    else {
        panic!("a fresh database is seeded");
    };
    app.use_token(&agent_key);
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
