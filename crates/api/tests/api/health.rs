use inbox_api::db;
use rstest_reuse::apply;

use crate::helpers::{backends, spawn_app, Backend, TestDatabase};

/// Replicas of one PostgreSQL deployment may start at the same moment: they migrate one after
/// the other (the later finds nothing to do), instead of both creating the same tables.
#[tokio::test]
async fn replicas_starting_together_take_turns_to_migrate() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let replicas = [
        db::connect(database.url()).await.expect("connected"),
        db::connect(database.url()).await.expect("connected"),
    ];
    let (first, second) = tokio::join!(db::migrate(&replicas[0]), db::migrate(&replicas[1]));
    first.expect("the first replica migrated");
    second.expect("the second replica migrated");
    assert!(db::is_migrated(&replicas[1]).await.expect("checked"));
}

#[apply(backends)]
async fn liveness_and_readiness_answer_ok_on_a_migrated_store(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
}

#[apply(backends)]
async fn an_unknown_api_path_is_a_problem_not_an_html_page(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let problem = app
        .get_problem("/api/v1/no-such-thing", reqwest::StatusCode::NOT_FOUND)
        .await;
    assert_eq!(problem["type"], "urn:ai-inbox:problem:not-found");
}

#[apply(backends)]
async fn swagger_ui_is_served_from_the_binary(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let bare = client.get(app.url("/docs")).send().await.expect("sent");
    assert!(bare.status().is_redirection());
    assert_eq!(bare.headers()["location"], "/docs/");
    let page = app
        .client
        .get(app.url("/docs/"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("swagger-ui"));
    let script = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        script.status(),
        200,
        "the UI's JavaScript comes from the binary, not a CDN"
    );
}

#[apply(backends)]
async fn responses_carry_security_headers(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/api/v1/no-such-thing", "/"] {
        let response = app.client.get(app.url(path)).send().await.expect("sent");
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        let policy = headers["content-security-policy"].to_str().expect("ascii");
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {policy}"
        );
    }
    let docs = app
        .client
        .get(app.url("/docs/"))
        .send()
        .await
        .expect("sent");
    assert!(
        !docs.headers().contains_key("content-security-policy"),
        "Swagger UI inlines its configuration"
    );
}

#[apply(backends)]
async fn locations_are_created_once_with_a_valid_slug_and_time_zone(#[case] backend: Backend) {
    use inbox_api::db::locations::{create, find_by_slug, NewLocation, NewLocationError};
    let app = spawn_app(backend).await;
    let new = NewLocation {
        slug: "northside".into(),
        name: "Northside Gym".into(),
        sending_address: "hi@northside.example".into(),
        signature: "Northside".into(),
        time_zone: "Europe/London".into(),
    };

    let created = create(&app.db, new.clone(), app.now())
        .await
        .expect("created");

    assert_eq!(
        find_by_slug(&app.db, "northside").await.expect("found").id,
        created.id
    );
    assert!(matches!(
        create(&app.db, new.clone(), app.now()).await,
        Err(NewLocationError::Exists(_))
    ));
    let bad_slug = NewLocation {
        slug: "North Side".into(),
        ..new.clone()
    };
    assert!(matches!(
        create(&app.db, bad_slug, app.now()).await,
        Err(NewLocationError::Slug)
    ));
    let bad_zone = NewLocation {
        slug: "other".into(),
        time_zone: "Mars/Olympus".into(),
        ..new
    };
    assert!(matches!(
        create(&app.db, bad_zone, app.now()).await,
        Err(NewLocationError::TimeZone(_))
    ));
}

/// A documented path asked with a method it does not answer is a 405 saying which it does;
/// an unknown path is a 404. Both as problem+json.
#[tokio::test]
async fn a_method_a_path_does_not_answer_is_405_with_the_ones_it_does() {
    let app = spawn_app(Backend::Sqlite).await;
    for (method, path, allowed) in [
        ("TRACE", "/api/v1/actions", Some("GET, POST")),
        ("DELETE", "/api/v1/metrics", Some("GET")),
        (
            "PUT",
            "/api/v1/agents/0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f58",
            Some("GET, PATCH"),
        ),
        ("GET", "/api/v1/nothing-here", None),
    ] {
        let response = app
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("a method"),
                app.url(path),
            )
            .send()
            .await
            .expect("sent");
        let expected = if allowed.is_some() { 405 } else { 404 };
        assert_eq!(response.status().as_u16(), expected, "{method} {path}");
        assert_eq!(
            response
                .headers()
                .get("allow")
                .and_then(|value| value.to_str().ok()),
            allowed,
            "{method} {path}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{method} {path}"
        );
    }
}
