use std::time::Duration;

use serde_json::{json, Value};

use rstest_reuse::apply;

use crate::helpers::{backends, id_of, ids, proposal, spawn_app, Backend, Fixture, TestApp};

/// An open event stream and what has arrived of it but not been read yet.
pub struct EventStream {
    pub response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// Sends `request` and keeps its response open as a stream.
    pub async fn open(request: reqwest::RequestBuilder) -> EventStream {
        let response = request.send().await.expect("connected");
        EventStream {
            response,
            buffer: String::new(),
        }
    }

    /// Opens `app`'s event stream with the current token.
    pub async fn of(app: &TestApp) -> EventStream {
        EventStream::open(app.request(reqwest::Method::GET, "/api/v1/events")).await
    }

    /// Reads the stream until an event of `kind` arrives; returns its data. The timeout only
    /// stops a broken test from hanging.
    pub async fn next(&mut self, kind: &str) -> Value {
        let EventStream { response, buffer } = self;
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
}

#[apply(backends)]
async fn the_event_stream_announces_changes_with_fresh_metrics(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let mut stream = EventStream::of(&app).await;
    assert_eq!(
        stream.response.headers()["content-type"],
        "text/event-stream"
    );
    let initial = stream.next("metrics").await;
    assert_eq!(initial["pending_review"], 0);

    let (_, action) = app.propose(&proposal(&fixture)).await;

    let changed = stream.next("action").await;
    assert_eq!(
        changed,
        json!({"id": action["id"], "status": "pending", "version": 1})
    );
    let metrics = stream.next("metrics").await;
    assert_eq!(metrics["pending_review"], 1);

    app.review(id_of(&action), "approve", json!({})).await;
    let changed = stream.next("action").await;
    assert_eq!(changed["status"], "approved");
    assert_eq!(changed["version"], 2);
}

/// A reader's key of `fixture`'s location and its event stream served by `replica`, past the
/// stream's first metrics.
async fn read_on(app: &TestApp, fixture: &Fixture, replica: &str) -> (String, EventStream) {
    let reader = app
        .key(
            fixture.location.id,
            &[inbox_domain::auth::Scope::ActionsRead],
            None,
        )
        .await;
    let mut stream = EventStream::open(
        app.client
            .get(format!("{replica}/api/v1/events"))
            .bearer_auth(&reader),
    )
    .await;
    stream.next("metrics").await;
    (reader, stream)
}

/// Replicas share one PostgreSQL: a reviewer whose stream is served by one replica sees what
/// another replica changed.
#[tokio::test]
async fn a_change_on_one_replica_reaches_streams_on_another() {
    let app = spawn_app(Backend::Postgres).await;
    let fixture = Fixture::new(&app).await;
    let replica = app.spawn_replica().await;
    let (_, mut stream) = read_on(&app, &fixture, &replica).await;

    let (_, action) = app.propose(&proposal(&fixture)).await;

    let changed = stream.next("action").await;
    assert_eq!(changed["id"], action["id"]);
}

/// A replica keeps the pages it served while nothing changes, but a change made through another
/// replica makes them stale the moment its stream hears of it.
#[tokio::test]
async fn a_page_kept_by_one_replica_is_not_reused_after_another_changes_it() {
    let app = spawn_app(Backend::Postgres).await;
    let fixture = Fixture::new(&app).await;
    let replica = app
        .spawn_replica_with(|settings| {
            settings.read_cache_ttl = Some(Duration::from_secs(24 * 3600));
        })
        .await;
    let (reader, mut stream) = read_on(&app, &fixture, &replica).await;
    let pending = || {
        let (client, url, reader) = (&app.client, format!("{replica}/api/v1/actions"), &reader);
        async move {
            let page: Value = client
                .get(url)
                .bearer_auth(reader)
                .send()
                .await
                .expect("listed")
                .json()
                .await
                .expect("a page");
            ids(&page)
        }
    };
    assert!(pending().await.is_empty());
    assert!(pending().await.is_empty(), "kept");

    let (_, action) = app.propose(&proposal(&fixture)).await;
    stream.next("action").await;

    assert_eq!(pending().await, [id_of(&action)]);
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

    let mut stream = EventStream::of(&app).await;
    stream.next("metrics").await;
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
    let (_, own) = app.propose(&proposal(&fixture)).await;

    // The first action event on this stream is our own, although theirs happened first.
    let changed = stream.next("action").await;
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
    let mut stream = EventStream::open(
        app.client
            .get(app.url("/api/v1/events"))
            .bearer_auth(created["token"].as_str().expect("token")),
    )
    .await;
    stream.next("metrics").await;

    app.send_json(
        reqwest::Method::DELETE,
        &format!("/api/v1/api-keys/{}", created["id"].as_str().expect("id")),
        &Value::Null,
    )
    .await;

    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.response.chunk().await.expect("readable").is_some() {}
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
    let mut stream = EventStream::of(&app).await;
    stream.next("metrics").await;

    app.db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .expect("listener terminated");

    stream.next("resync").await;
}

#[apply(backends)]
async fn many_streams_share_one_computation_of_the_metrics_per_change(#[case] backend: Backend) {
    use inbox_api::live_metrics::LiveMetrics;
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let live = LiveMetrics::default();
    let location = fixture.location.id;
    let of = || live.of(&app.db, &app.bus, location, app.now());
    let mut changes = app.bus.subscribe();

    let watching = futures_util::future::join_all((0..20).map(|_| of())).await;
    assert!(watching.iter().all(Result::is_ok));
    assert_eq!(live.computed(), 1, "twenty streams, one query");

    app.propose(&proposal(&fixture)).await;
    tokio::time::timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("announced")
        .expect("a change");
    let after = futures_util::future::join_all((0..20).map(|_| of())).await;

    assert_eq!(live.computed(), 2, "once more for the change");
    assert!(after
        .iter()
        .all(|metrics| metrics.as_ref().expect("computed").pending_review == 1));
}

/// Metrics that only time has aged are answered at once while fresh ones are computed in the
/// background, so readers never queue behind the once-a-second recomputation; older ones (an
/// idle location) are computed before the answer.
#[apply(backends)]
async fn metrics_aged_by_time_alone_are_answered_at_once_and_refreshed_behind(
    #[case] backend: Backend,
) {
    use inbox_api::live_metrics::LiveMetrics;
    use sea_orm::ConnectionTrait;
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    fixture.action(&app, app.now(), |_| {}).await;
    let live = LiveMetrics::default();
    let location = fixture.location.id;
    let pending = |metrics: Result<inbox_domain::metrics::Metrics, _>| {
        metrics.expect("computed").pending_review
    };
    assert_eq!(
        pending(live.of(&app.db, &app.bus, location, app.now()).await),
        1
    );
    // A change the bus does not carry, so only a recomputation can see it.
    app.db
        .execute_unprepared("UPDATE action_counts SET count = count + 1 WHERE status = 'pending'")
        .await
        .expect("count changed");

    app.clock.advance(chrono::Duration::milliseconds(1500));
    let stale = live.of(&app.db, &app.bus, location, app.now()).await;
    assert_eq!(pending(stale), 1, "answered with the last ones");
    tokio::time::timeout(Duration::from_secs(10), async {
        while live.computed() < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("refreshed in the background");
    let refreshed = live.of(&app.db, &app.bus, location, app.now()).await;
    assert_eq!(pending(refreshed), 2);
    assert_eq!(live.computed(), 2, "the refreshed ones are reused");

    app.clock.advance(chrono::Duration::seconds(2));
    app.db
        .execute_unprepared("UPDATE action_counts SET count = count + 1 WHERE status = 'pending'")
        .await
        .expect("count changed");
    let idle = live.of(&app.db, &app.bus, location, app.now()).await;
    assert_eq!(pending(idle), 3, "too old to answer with: computed first");
    assert_eq!(live.computed(), 3);
}
