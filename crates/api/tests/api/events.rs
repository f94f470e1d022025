use std::time::Duration;

use serde_json::{json, Value};

use rstest_reuse::apply;

use crate::helpers::{backends, proposal, spawn_app, Backend, Fixture};

/// Reads the stream until an event of `kind` arrives; returns its data. The timeout only
/// stops a broken test from hanging.
async fn next_event(response: &mut reqwest::Response, buffer: &mut String, kind: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let mut lines = frame.lines();
                if lines.next() == Some(&format!("event: {kind}")) {
                    let data = lines
                        .next()
                        .and_then(|l| l.strip_prefix("data: "))
                        .expect("data line");
                    return serde_json::from_str(data).expect("JSON data");
                }
            }
            let chunk = response
                .chunk()
                .await
                .expect("stream open")
                .expect("more data");
            buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    })
    .await
    .expect("the event arrived")
}

#[apply(backends)]
async fn the_event_stream_announces_changes_with_fresh_metrics(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut stream = app
        .request(reqwest::Method::GET, "/api/v1/events")
        .send()
        .await
        .expect("connected");
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let initial = next_event(&mut stream, &mut buffer, "metrics").await;
    assert_eq!(initial["pending_review"], 0);

    let (_, action) = app.post_json("/api/v1/actions", &proposal(&fixture)).await;

    let changed = next_event(&mut stream, &mut buffer, "action").await;
    assert_eq!(
        changed,
        json!({"id": action["id"], "status": "pending", "version": 1})
    );
    let metrics = next_event(&mut stream, &mut buffer, "metrics").await;
    assert_eq!(metrics["pending_review"], 1);

    app.post_json(
        &format!(
            "/api/v1/actions/{}/approve",
            action["id"].as_str().expect("id")
        ),
        &json!({}),
    )
    .await;
    let changed = next_event(&mut stream, &mut buffer, "action").await;
    assert_eq!(changed["status"], "approved");
    assert_eq!(changed["version"], 2);
}

/// Replicas share one PostgreSQL: a reviewer whose stream is served by one replica sees what
/// another replica changed.
#[tokio::test]
async fn a_change_on_one_replica_reaches_streams_on_another() {
    let app = spawn_app(Backend::Postgres).await;
    let fixture = Fixture::new(&app).await;
    let replica = app.spawn_replica().await;
    let mut stream = app
        .client
        .get(format!("{replica}/api/v1/events"))
        .bearer_auth(
            app.key(
                fixture.location.id,
                &[inbox_domain::auth::Scope::ActionsRead],
                None,
            )
            .await,
        )
        .send()
        .await
        .expect("connected");
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "metrics").await;

    let (_, action) = app.post_json("/api/v1/actions", &proposal(&fixture)).await;

    let changed = next_event(&mut stream, &mut buffer, "action").await;
    assert_eq!(changed["id"], action["id"]);
}

/// A stream carries only its own location's changes.
#[apply(backends)]
async fn a_stream_never_shows_another_locations_changes(#[case] backend: Backend) {
    use inbox_domain::auth::Scope;

    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let (other, _) = crate::helpers::other_location(&app, &fixture).await;
    let theirs = app
        .key(other.location.id, &[Scope::ActionsPropose], None)
        .await;

    let mut stream = app
        .request(reqwest::Method::GET, "/api/v1/events")
        .send()
        .await
        .expect("connected");
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "metrics").await;
    let mut foreign = proposal(&fixture);
    foreign["customer_id"] = json!(other.customer.id);
    foreign["agent_id"] = json!(other.agent.id);
    let sent = app
        .client
        .post(app.url("/api/v1/actions"))
        .bearer_auth(&theirs)
        .json(&foreign)
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.status(), reqwest::StatusCode::CREATED);
    let (_, own) = app.post_json("/api/v1/actions", &proposal(&fixture)).await;

    // The first action event on this stream is our own, although theirs happened first.
    let changed = next_event(&mut stream, &mut buffer, "action").await;
    assert_eq!(changed["id"], own["id"]);
}

/// Credentials are checked again while a stream is open: a revoked key's stream ends.
#[tokio::test]
async fn a_revoked_keys_stream_ends() {
    let app = spawn_app(Backend::Sqlite).await;
    let fixture = Fixture::new(&app).await;
    let (status, created) = app
        .post_json(
            "/api/v1/api-keys",
            &json!({"name": "dashboard", "scopes": ["actions:read"]}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let mut stream = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(created["token"].as_str().expect("token"))
        .send()
        .await
        .expect("connected");
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "metrics").await;

    app.send_json(
        reqwest::Method::DELETE,
        &format!("/api/v1/api-keys/{}", created["id"].as_str().expect("id")),
        &Value::Null,
    )
    .await;

    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.chunk().await.expect("readable").is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream closed");
    let _ = fixture;
}

/// PostgreSQL keeps no notifications for a dropped listener: when the listening connection dies,
/// streams are told to reload.
#[tokio::test]
async fn a_lost_database_listener_makes_streams_resync() {
    use sea_orm::ConnectionTrait;

    let app = spawn_app(Backend::Postgres).await;
    Fixture::new(&app).await;
    let mut stream = app
        .request(reqwest::Method::GET, "/api/v1/events")
        .send()
        .await
        .expect("connected");
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "metrics").await;

    app.db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .expect("listener terminated");

    next_event(&mut stream, &mut buffer, "resync").await;
}
