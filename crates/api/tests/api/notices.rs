//! Reviewers told where they are: digests on their local schedule through a real SMTP server,
//! immediate emails about critical and expiring actions, the team channel's posts to a real
//! HTTP receiver, and the signed one-click links in them (a GET decides nothing; a POST decides
//! once; replayed, expired, tampered, someone else's, stale and revoked links change nothing).

use chrono::{DateTime, Duration, Utc};
use inbox_api::{
    db::entities::{actions, locations},
    jobs::{self, deliveries::Outbound},
    services::decision_links::{sign, LinkClaims, LinkVerb},
};
use inbox_domain::Priority;
use reqwest::{Method, StatusCode};
use rstest_reuse::apply;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    helpers::{backends, event_kinds, spawn_app, Backend, Fixture, TestApp, REVIEWER_PASSWORD},
    outside::{ChannelReceiver, SmtpServer},
};

/// A signed-in reviewer's session.
struct Reviewer {
    cookie: String,
    csrf: String,
    id: Uuid,
}

impl Reviewer {
    async fn sign_in(app: &TestApp, fixture: &Fixture, email: &str) -> Reviewer {
        fixture.reviewer(app, email).await;
        let response = app
            .client
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": email, "password": REVIEWER_PASSWORD}))
            .send()
            .await
            .expect("sent");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|header| header.to_str().ok())
            .find(|header| header.starts_with("inbox_session="))
            .and_then(|header| header.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let me: Value = response.json().await.expect("json");
        Reviewer {
            cookie,
            csrf: me["csrf_token"].as_str().expect("csrf").to_owned(),
            id: me["user"]["id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid"),
        }
    }

    async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = app
            .client
            .request(method, app.url(path))
            .header("Cookie", &self.cookie)
            .header("X-CSRF-Token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn prefer(&self, app: &TestApp, preferences: Value) {
        let (status, body) = self
            .send(
                app,
                Method::PUT,
                "/api/v1/me/notifications",
                Some(preferences),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The text of the newest notice sent to the reviewer.
    async fn latest_text(&self, app: &TestApp) -> String {
        self.notices(app).await[0]["body_text"]
            .as_str()
            .expect("text")
            .to_owned()
    }

    async fn notices(&self, app: &TestApp) -> Vec<Value> {
        let (status, body) = self
            .send(app, Method::GET, "/api/v1/me/notices", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().expect("a list").clone()
    }
}

fn preferences(changes: Value) -> Value {
    let mut all = json!({
        "digest": "off", "digest_hour": 8, "critical_email": false,
        "expiring_email": false, "expiring_window_hours": 4, "browser": false
    });
    for (field, value) in changes.as_object().expect("an object") {
        all[field] = value.clone();
    }
    all
}

fn smtp_outbound(smtp: &SmtpServer) -> Outbound {
    Outbound::new(Some(&format!("smtp://127.0.0.1:{}", smtp.port)), None).expect("a valid URL")
}

/// One run of what `inbox digest` and the server's schedule do, at the app's clock.
async fn tell(app: &TestApp, outbound: &Outbound) -> (usize, usize, usize) {
    let base = app.url("");
    let (told, sent) = jobs::tell(
        &app.db,
        outbound,
        &reqwest::Client::new(),
        base.trim_end_matches('/'),
        app.now(),
    )
    .await
    .expect("told");
    assert_eq!(sent.failed, 0, "nothing failed to send");
    (told.digests, told.emails, told.channel_posts)
}

/// The location keeps New York's time: 12:00 UTC is 07:00 there in November.
async fn in_new_york(app: &TestApp, fixture: &Fixture) {
    locations::Entity::update_many()
        .col_expr(locations::Column::TimeZone, Expr::value("America/New_York"))
        .filter(locations::Column::Id.eq(fixture.location.id))
        .exec(&app.db)
        .await
        .expect("updated");
}

/// The link after `label` (`Approve:`, `Reject:`, `Snooze:`) in a notice's text, path only.
fn link(text: &str, label: &str) -> String {
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} link in {text}"));
    let url = line.trim_start()[label.len()..].trim();
    let at = url.find("/decide/").expect("a decision link");
    url[at..].to_owned()
}

async fn open(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.client.get(app.url(path)).send().await.expect("sent");
    (response.status(), response.text().await.expect("html"))
}

async fn press(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("sent");
    (response.status(), response.text().await.expect("html"))
}

async fn status_and_version(app: &TestApp, id: Uuid) -> (Value, Value) {
    let (_, detail) = app.get_action(id).await;
    (detail["status"].clone(), detail["version"].clone())
}

/// `hours` after the tests' start (12:00 UTC).
fn at(hours: i64) -> DateTime<Utc> {
    crate::helpers::start_time() + Duration::hours(hours)
}

#[apply(backends)]
async fn a_daily_digest_goes_once_a_day_at_the_reviewers_local_hour_grouped_by_agent(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let outbound = smtp_outbound(&smtp);
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    in_new_york(&app, &fixture).await;
    let sam = Reviewer::sign_in(&app, &fixture, "sam@example.com").await;
    sam.prefer(
        &app,
        preferences(json!({"digest": "daily", "digest_hour": 9})),
    )
    .await;
    fixture
        .action(&app, app.now(), |row| {
            row.priority = Priority::Critical;
            row.expires_at = crate::helpers::start_time() + Duration::hours(4);
        })
        .await;
    fixture.action(&app, app.now(), |_| {}).await;

    // 08:59 in New York: not yet.
    app.clock.set(at(1) + Duration::minutes(59));
    assert_eq!(tell(&app, &outbound).await, (0, 0, 0));
    // 09:00 there (14:00 UTC): the digest, once.
    app.clock.set(at(2));
    assert_eq!(tell(&app, &outbound).await, (1, 0, 0));
    app.clock.set(at(5));
    assert_eq!(tell(&app, &outbound).await, (0, 0, 0), "not twice a day");

    let received = smtp.messages();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].contains("To: sam@example.com"),
        "{}",
        received[0]
    );
    assert!(
        received[0].contains("Subject: 2 waiting for review in Fixture Space, 1 expiring soon"),
        "{}",
        received[0]
    );
    let notices = sam.notices(&app).await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["kind"], "digest");
    assert_eq!(notices[0]["state"], "sent");
    let text = notices[0]["body_text"].as_str().expect("text");
    assert!(
        text.contains("== Due Invoice Reminders: 2 waiting, 1 expiring soon =="),
        "{text}"
    );
    assert!(text.contains("Critical: 1 · High: 1"), "{text}");
    // Variables filled, and the action expiring first listed first, with its links.
    assert!(
        text.contains("Payment reminder: Invoice #1234 (Zoë Müller, Critical)"),
        "{text}"
    );
    let (first, second) = (
        text.find("(Zoë Müller, Critical) EXPIRES")
            .expect("the urgent one"),
        text.find("(Zoë Müller, High)").expect("the other"),
    );
    assert!(first < second, "{text}");
    assert_eq!(text.matches("Approve: ").count(), 2, "{text}");

    // The next day at 09:00 New York time: the next one.
    app.clock.set(at(26));
    assert_eq!(tell(&app, &outbound).await.0, 1);
    assert_eq!(smtp.messages().len(), 2);
}

#[apply(backends)]
async fn an_hourly_digest_goes_each_hour_something_waits_and_nothing_when_nothing_does(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let sam = Reviewer::sign_in(&app, &fixture, "sam@example.com").await;
    sam.prefer(&app, preferences(json!({"digest": "hourly"})))
        .await;
    // The built-in outbox: no SMTP server, and the reviewer still sees what was sent.
    let outbox = Outbound::default();

    assert_eq!(tell(&app, &outbox).await, (0, 0, 0), "nothing waits");
    let action = fixture.action(&app, app.now(), |_| {}).await;
    assert_eq!(tell(&app, &outbox).await, (1, 0, 0));
    app.clock.advance(Duration::minutes(30));
    assert_eq!(tell(&app, &outbox).await, (0, 0, 0), "the same hour");
    app.clock.advance(Duration::minutes(30));
    assert_eq!(tell(&app, &outbox).await, (1, 0, 0), "the next hour");
    let notices = sam.notices(&app).await;
    assert_eq!(notices.len(), 2);
    assert!(notices.iter().all(|notice| notice["state"] == "sent"));
    // A reviewer who turns it off is sent nothing more.
    sam.prefer(&app, preferences(json!({}))).await;
    app.clock.advance(Duration::hours(1));
    assert_eq!(tell(&app, &outbox).await, (0, 0, 0));
    assert_eq!(status_and_version(&app, action.id).await.0, "pending");
}

#[apply(backends)]
async fn a_link_opened_decides_nothing_and_pressed_decides_once_as_the_reviewer_from_email(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let sam = Reviewer::sign_in(&app, &fixture, "sam@example.com").await;
    sam.prefer(&app, preferences(json!({"digest": "hourly"})))
        .await;
    let action = fixture.action(&app, app.now(), |_| {}).await;
    tell(&app, &Outbound::default()).await;
    let text = sam.latest_text(&app).await;
    let approve = link(&text, "Approve:");

    // Opened, by the reviewer or a mail scanner, as often as they like: nothing changes.
    for _ in 0..2 {
        let (status, page) = open(&app, &approve).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Payment reminder: Invoice #1234"), "{page}");
        assert!(page.contains("<form method=\"post\">"), "{page}");
        assert!(page.contains("Approve &amp; send"), "{page}");
    }
    assert_eq!(
        status_and_version(&app, action.id).await,
        (json!("pending"), json!(1))
    );

    // Another reviewer has it open: the page asks to confirm, as the app does.
    let ana = Reviewer::sign_in(&app, &fixture, "ana@example.com").await;
    let (status, _) = ana
        .send(
            &app,
            Method::PUT,
            &format!("/api/v1/actions/{}/lease", action.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = open(&app, &approve).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"held_by_another\""), "{page}");
    let (status, page) = press(&app, &approve, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("Nothing was decided yet"), "{page}");
    assert_eq!(
        press(&app, &approve, &[("acknowledged", "no_such_warning")])
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        status_and_version(&app, action.id).await,
        (json!("pending"), json!(1))
    );

    let (status, page) = press(&app, &approve, &[("acknowledged", "held_by_another")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Approved. It leaves in 10 seconds"), "{page}");
    let (_, detail) = app.get_action(action.id).await;
    assert_eq!(detail["status"], "approved");
    let approved = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|entry| entry["kind"] == "approved")
        .expect("an approval");
    assert_eq!(approved["actor"], format!("user:{}", sam.id));
    assert_eq!(approved["actor_name"], "Sam", "named as people read it");
    assert_eq!(approved["data"]["via"], "email");
    // Still inside the undo window: nothing has left yet.
    let (_, deliveries) = app.get_json("/api/v1/deliveries").await;
    assert_eq!(deliveries["items"][0]["state"], "scheduled");

    // Pressed again (a replay): nothing more.
    let (status, page) = press(&app, &approve, &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("already used"), "{page}");
    // The same digest's Reject link: the action moved on.
    let (status, page) = press(&app, &link(&text, "Reject:"), &[("reason", "other")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("changed since you were told"), "{page}");
    assert_eq!(
        event_kinds(&app, &action.id.to_string()).await,
        ["approved"]
    );
}

#[apply(backends)]
async fn expired_tampered_stale_revoked_and_someone_elses_links_change_nothing(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let sam = Reviewer::sign_in(&app, &fixture, "sam@example.com").await;
    sam.prefer(&app, preferences(json!({"digest": "hourly"})))
        .await;
    let action = fixture
        .action(&app, app.now(), |row| {
            row.expires_at = crate::helpers::start_time() + Duration::days(10);
        })
        .await;
    tell(&app, &Outbound::default()).await;
    let text = sam.latest_text(&app).await;
    let (approve, reject, snooze) = (
        link(&text, "Approve:"),
        link(&text, "Reject:"),
        link(&text, "Snooze:"),
    );
    let unchanged = || async { status_and_version(&app, action.id).await };
    let before = unchanged().await;

    // Tampered: one character of the signed claims changed.
    let mut tampered = approve.clone().into_bytes();
    let at = "/decide/".len() + 5;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    assert_eq!(open(&app, &tampered).await.0, StatusCode::NOT_FOUND);
    assert_eq!(press(&app, &tampered, &[]).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        press(&app, "/decide/not-a-token", &[]).await.0,
        StatusCode::NOT_FOUND
    );

    // Someone else's: claims naming Sam, signed with another reviewer's key.
    let ana = Reviewer::sign_in(&app, &fixture, "ana@example.com").await;
    ana.prefer(&app, preferences(json!({"digest": "hourly"})))
        .await;
    app.clock.advance(Duration::hours(1));
    tell(&app, &Outbound::default()).await;
    let ana_secret = inbox_api::db::notices::user(&app.db, ana.id)
        .await
        .expect("read")
        .and_then(|user| user.link_secret)
        .expect("Ana's key");
    let forged = sign(
        &ana_secret,
        &LinkClaims {
            nonce: Uuid::now_v7(),
            user_id: sam.id,
            action_id: action.id,
            version: 1,
            verb: LinkVerb::Approve,
            expires: (app.now() + Duration::hours(1)).timestamp(),
        },
    );
    let (status, page) = press(&app, &format!("/decide/{forged}"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("does not work"), "{page}");

    // A reject without a reason: asked again, nothing decided.
    let (status, page) = press(&app, &reject, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Nothing was decided yet"), "{page}");
    assert!(page.contains("<select name=\"reason\""), "{page}");
    assert_eq!(unchanged().await, before);

    // Stale: the draft was edited after the notice.
    let (status, _) = app
        .edit(
            action.id,
            json!({"expected_version": 1, "subject": "Edited"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let edited = unchanged().await;
    let (status, page) = open(&app, &snooze).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("changed since you were told"), "{page}");
    assert_eq!(
        press(&app, &snooze, &[("duration", "1h")]).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(unchanged().await, edited);

    // A fresh link to the edited action, revoked: it stops working.
    app.clock.advance(Duration::hours(1));
    tell(&app, &Outbound::default()).await;
    let fresh = sam.latest_text(&app).await;
    let fresh_reject = link(&fresh, "Reject:");
    assert_eq!(open(&app, &fresh_reject).await.0, StatusCode::OK);
    let (status, _) = sam
        .send(&app, Method::POST, "/api/v1/me/decision-links/revoke", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        press(&app, &fresh_reject, &[("reason", "already_resolved")])
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // A link that still works rejects with the reason picked on its page.
    app.clock.advance(Duration::hours(1));
    tell(&app, &Outbound::default()).await;
    let latest = sam.latest_text(&app).await;
    let (status, page) = press(
        &app,
        &link(&latest, "Reject:"),
        &[("reason", "already_resolved")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (_, detail) = app.get_action(action.id).await;
    assert_eq!(detail["status"], "rejected");
    assert_eq!(detail["decisions"]["rejection_reason"], "already_resolved");
    let rejected = unchanged().await;

    // Expired: 72 hours after it was sent (said before anything else about the action).
    app.clock
        .advance(Duration::hours(72) + Duration::seconds(1));
    let (status, page) = press(&app, &link(&latest, "Approve:"), &[]).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("expired"), "{page}");
    assert_eq!(unchanged().await, rejected);
}

#[apply(backends)]
async fn critical_and_expiring_actions_are_emailed_at_once_and_posted_to_the_team_channel(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let outbound = smtp_outbound(&smtp);
    let channel = ChannelReceiver::start().await;
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let sam = Reviewer::sign_in(&app, &fixture, "sam@example.com").await;
    sam.prefer(
        &app,
        preferences(
            json!({"critical_email": true, "expiring_email": true, "expiring_window_hours": 6}),
        ),
    )
    .await;
    let (status, body) = app
        .send_json(
            Method::PUT,
            "/api/v1/settings",
            &json!({"slack_webhook_url": channel.url}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let critical = fixture
        .action(&app, app.now(), |row| row.priority = Priority::Critical)
        .await;
    let expiring = fixture
        .action(&app, app.now(), |row| {
            row.expires_at = crate::helpers::start_time() + Duration::hours(5);
        })
        .await;
    fixture.action(&app, app.now(), |_| {}).await;

    // Sam's window is 6 hours: both; the team channel's 4: only the critical one.
    assert_eq!(tell(&app, &outbound).await, (0, 2, 1));
    assert_eq!(tell(&app, &outbound).await, (0, 0, 0), "each once");
    let subjects: Vec<String> = sam
        .notices(&app)
        .await
        .iter()
        .map(|notice| notice["subject"].as_str().expect("subject").to_owned())
        .collect();
    assert!(
        subjects.contains(
            &"A critical action waits for review: Payment reminder: Invoice #1234".to_owned()
        ),
        "{subjects:?}"
    );
    assert!(
        subjects
            .contains(&"An action is about to expire: Payment reminder: Invoice #1234".to_owned()),
        "{subjects:?}"
    );
    assert_eq!(smtp.messages().len(), 2);

    // Two hours on, the expiring one is inside the team channel's window too.
    app.clock.advance(Duration::hours(2));
    assert_eq!(tell(&app, &outbound).await, (0, 0, 1));
    let posts = channel.posts();
    assert_eq!(posts.len(), 2);
    let first = posts[0]["text"].as_str().expect("text");
    assert!(
        first.starts_with("A critical action waits for review: Payment reminder"),
        "{first}"
    );
    assert!(
        first.contains("Zoë Müller · Due Invoice Reminders"),
        "{first}"
    );
    assert!(
        first.contains(&format!("/?open={}|Open in AI Inbox>", critical.id)),
        "{first}"
    );
    let second = posts[1]["text"].as_str().expect("text");
    assert!(
        second.contains(&format!("/?open={}", expiring.id)),
        "{second}"
    );
    // Text only: no link that decides, nothing secret.
    assert!(posts
        .iter()
        .all(|post| !post.to_string().contains("/decide/")));
    assert_eq!(
        posts[0].as_object().expect("an object").len(),
        1,
        "only `text`"
    );
}

#[apply(backends)]
async fn preferences_are_a_signed_in_reviewers_and_bad_ones_change_nothing(
    #[case] backend: Backend,
) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    // An API key has none.
    let problem = app
        .get_problem("/api/v1/me/notifications", StatusCode::FORBIDDEN)
        .await;
    assert!(problem["detail"]
        .as_str()
        .expect("detail")
        .contains("signed-in reviewer"));
    let sam = Reviewer::sign_in(&app, &fixture, "sam@example.com").await;
    let (status, defaults) = sam
        .send(&app, Method::GET, "/api/v1/me/notifications", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(defaults, preferences(json!({})), "everything off at first");

    let (status, problem) = sam
        .send(
            &app,
            Method::PUT,
            "/api/v1/me/notifications",
            Some(preferences(
                json!({"digest": "daily", "digest_hour": 24, "expiring_window_hours": 0}),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["field"].as_str())
        .collect();
    assert_eq!(fields, ["digest_hour", "expiring_window_hours"]);
    let (status, _) = sam
        .send(
            &app,
            Method::PUT,
            "/api/v1/me/notifications",
            Some(json!({"digest": "weekly"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, kept) = sam
        .send(&app, Method::GET, "/api/v1/me/notifications", None)
        .await;
    assert_eq!(kept, defaults, "nothing changed");

    // A team channel must be an http(s) URL; readers other than admins see only its origin.
    let (status, problem) = app
        .send_json(
            Method::PUT,
            "/api/v1/settings",
            &json!({"slack_webhook_url": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = app
        .send_json(
            Method::PUT,
            "/api/v1/settings",
            &json!({"slack_webhook_url": "https://hooks.example.com/services/T0/B0/secret"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen) = sam.send(&app, Method::GET, "/api/v1/settings", None).await;
    assert_eq!(seen["slack_webhook_url"], "https://hooks.example.com/…");
}

#[apply(backends)]
async fn the_metrics_count_what_expires_within_four_hours(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture = Fixture::new(&app).await;
    let start = crate::helpers::start_time();
    for hours in [1, 3, 5] {
        fixture
            .action(&app, app.now(), |row: &mut actions::Model| {
                row.expires_at = start + Duration::hours(hours);
            })
            .await;
    }
    let (_, metrics) = app.get_json("/api/v1/metrics").await;
    assert_eq!(metrics["pending_review"], 3);
    assert_eq!(metrics["expiring_soon"], 2);
}

/// A notice of a second location, due now: its id.
async fn other_locations_due_notice(db: &sea_orm::DatabaseConnection) -> Uuid {
    use inbox_api::db::{
        entities::notices,
        locations::NewLocation,
        notices::{enqueue, NewNotice},
    };
    use inbox_domain::notices::{NoticeChannel, NoticeKind};
    let now = Utc::now();
    let location = inbox_api::db::locations::create(
        db,
        NewLocation {
            slug: "northside".into(),
            name: "Northside".into(),
            sending_address: "hello@northside.example.com".into(),
            signature: String::new(),
            time_zone: "UTC".into(),
        },
        now,
    )
    .await
    .expect("a second location");
    let notice = NewNotice {
        location_id: location.id,
        user_id: None,
        channel: NoticeChannel::Email,
        kind: NoticeKind::Digest,
        dedup_key: "northside-digest".into(),
        recipient: Some("lead@northside.example.com".into()),
        subject: "Waiting for review".into(),
        body_text: "One action is waiting.".into(),
        body_html: None,
    };
    // Put in the outbox a minute ago: due.
    assert!(enqueue(db, notice, now - Duration::minutes(1))
        .await
        .expect("a notice"));
    notices::Entity::find()
        .filter(notices::Column::LocationId.eq(location.id))
        .one(db)
        .await
        .expect("read")
        .expect("the notice")
        .id
}

/// `inbox digest`, as cron runs it: the demo reviewer's due digest goes to the SMTP server
/// once, with links to the public address, and another location's due notice stays where it is.
#[tokio::test]
async fn the_digest_command_sends_what_is_due_once() {
    use std::process::Command;

    let smtp = SmtpServer::start().await;
    let dir = tempfile::tempdir().expect("folder");
    let (database, _) = crate::helpers::seeded_demo_database(dir.path());
    let binary = env!("CARGO_BIN_EXE_inbox");
    let db = inbox_api::db::connect(&database).await.expect("connected");
    let reviewer = inbox_api::db::entities::users::Entity::find()
        .one(&db)
        .await
        .expect("read")
        .expect("the demo reviewer");
    let hourly: inbox_domain::notices::NotificationPreferences =
        serde_json::from_value(preferences(json!({"digest": "hourly"}))).expect("preferences");
    inbox_api::db::notices::set_preferences(&db, reviewer.id, &hourly)
        .await
        .expect("set");
    // Another location's notice, due too, is that location's to send.
    let elsewhere = other_locations_due_notice(&db).await;
    let digest = || {
        let output = Command::new(binary)
            .args(["digest", "--location", "demo"])
            .args(["--smtp-url", &format!("smtp://127.0.0.1:{}", smtp.port)])
            .args(["--public-url", "https://inbox.example.com/"])
            .env("DATABASE_URL", &database)
            .env("RUST_LOG", "warn")
            .output()
            .expect("digest ran");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).expect("utf-8")
    };

    let first = digest();
    assert!(first.contains("`demo`: 1 digest(s)"), "{first}");
    assert!(first.contains("1 sent"), "{first}");
    let again = digest();
    assert!(
        again.contains("`demo`: 0 digest(s)"),
        "the same hour: {again}"
    );
    let received = smtp.messages();
    assert_eq!(received.len(), 1);
    let untouched = inbox_api::db::entities::notices::Entity::find_by_id(elsewhere)
        .one(&db)
        .await
        .expect("read")
        .expect("the other location's notice");
    assert_eq!(
        (untouched.state, untouched.attempts),
        (inbox_domain::delivery::DeliveryState::Scheduled, 0)
    );
    assert!(
        received[0].contains(&format!("To: {}", reviewer.email)),
        "{}",
        received[0]
    );
    assert!(
        received[0].contains("waiting for review in"),
        "{}",
        received[0]
    );
    let kept = inbox_api::db::notices::of_reviewer(&db, reviewer.id, 5)
        .await
        .expect("read");
    assert!(
        kept[0]
            .body_text
            .contains("https://inbox.example.com/decide/"),
        "links lead to the public address: {}",
        kept[0].body_text
    );
}
