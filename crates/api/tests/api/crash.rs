//! The real `inbox serve` process, killed with SIGKILL between the commit of an approval and
//! the send of its message: after a restart the message is sent, once.

use std::{process::Stdio, time::Duration as StdDuration};

use inbox_api::db::entities::{action_events, deliveries};
use inbox_domain::EventKind;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use chrono::Utc;
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::{
    helpers::{action_count, backends, id_of, proposal, spawn_app, Backend, Fixture},
    outside::SmtpServer,
};

/// How long approved messages wait in the process under test: long enough that the kill
/// surely comes first.
const UNDO_SECONDS: &str = "5";

/// `inbox serve` on `database_url`, sending email to `smtp_port`.
struct Inbox {
    process: tokio::process::Child,
    address: String,
}

impl Inbox {
    async fn start(database_url: &str, smtp_port: u16) -> Inbox {
        let smtp = format!("smtp://127.0.0.1:{smtp_port}");
        Inbox::start_with(
            database_url,
            &[
                ("INBOX_SMTP_URL", &smtp),
                ("INBOX_UNDO_SECONDS", UNDO_SECONDS),
            ],
        )
        .await
    }

    /// With `settings` (environment variables) besides the database, address and one worker.
    async fn start_with(database_url: &str, settings: &[(&str, &str)]) -> Inbox {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = tokio::process::Command::new(env!("CARGO_BIN_EXE_inbox"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("INBOX_BIND", format!("127.0.0.1:{port}"))
            .env("INBOX_WORKERS", "1")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the inbox binary");
        let inbox = Inbox {
            process,
            address: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        // Ready once it answers its liveness probe.
        for _ in 0..600 {
            let probe = client.get(format!("{}/healthz", inbox.address)).send();
            if probe
                .await
                .is_ok_and(|response| response.status().is_success())
            {
                return inbox;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        panic!("inbox serve did not start on port {port}");
    }

    /// SIGKILL: no shutdown, no cleanup.
    async fn kill(mut self) {
        self.process.kill().await.expect("killed");
    }

    /// SIGTERM, as `docker stop` and Kubernetes send.
    fn terminate(&self) {
        let pid = self.process.id().expect("running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill ran");
        assert!(sent.success());
    }

    /// Waits for the process to exit by itself; its exit status.
    async fn exited(mut self) -> std::process::ExitStatus {
        tokio::time::timeout(StdDuration::from_secs(20), self.process.wait())
            .await
            .expect("exited within 20 s")
            .expect("waited")
    }
}

#[apply(backends)]
async fn a_server_killed_between_commit_and_send_sends_once_after_restart(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app(backend).await;
    // The process under test runs on the real clock.
    app.clock.set(Utc::now());
    let fixture = Fixture::new(&app).await;
    let (status, action) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let id = id_of(&action).to_owned();
    let token = app.key(fixture.location.id, Scope::ALL, None).await;
    let client = reqwest::Client::new();

    let inbox = Inbox::start(app.database_url(), smtp.port).await;
    let approved = client
        .post(format!("{}/api/v1/actions/{id}/approve", inbox.address))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("approved");
    assert_eq!(approved.status(), StatusCode::OK);
    inbox.kill().await;

    assert!(smtp.messages().is_empty(), "killed before it could send");
    let restarted = Inbox::start(app.database_url(), smtp.port).await;
    let mut sent = Value::Null;
    for _ in 0..600 {
        let page: Value = client
            .get(format!(
                "{}/api/v1/deliveries?state=sent",
                restarted.address
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("listed")
            .json()
            .await
            .expect("JSON");
        if page["total"] == 1 {
            sent = page;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(
        sent["items"][0]["action_id"],
        id.as_str(),
        "sent after the restart"
    );
    assert_eq!(smtp.messages().len(), 1, "exactly once");
    restarted.kill().await;
}

#[apply(backends)]
async fn sigterm_finishes_the_request_in_flight_ends_streams_and_leaves_nothing_claimed(
    #[case] backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let app = spawn_app(backend).await;
    app.clock.set(Utc::now());
    let fixture = Fixture::new(&app).await;
    let token = app.key(fixture.location.id, Scope::ALL, None).await;
    let client = reqwest::Client::new();
    let inbox = Inbox::start(app.database_url(), smtp.port).await;
    // Something for the delivery worker to hold.
    let (status, action) = app.propose(&proposal(&fixture)).await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    let approved = client
        .post(format!(
            "{}/api/v1/actions/{}/approve",
            inbox.address,
            id_of(&action)
        ))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .expect("approved");
    assert_eq!(approved.status(), StatusCode::OK);

    let mut events = client
        .get(format!("{}/api/v1/events", inbox.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("a stream");
    let first = events.chunk().await.expect("read").expect("a chunk");
    assert!(String::from_utf8_lossy(&first).starts_with("event: metrics"));

    // A proposal whose body is half sent when the signal comes, on a connection the server has
    // surely accepted (it answered a request on it first).
    let host = inbox.address.trim_start_matches("http://").to_owned();
    let mut connection = tokio::net::TcpStream::connect(&host)
        .await
        .expect("connected");
    connection
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: inbox\r\n\r\n")
        .await
        .expect("written");
    let mut answer = [0_u8; 512];
    let read = connection.read(&mut answer).await.expect("read");
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    let body = proposal(&fixture).to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    connection
        .write_all(
            format!(
                "POST /api/v1/actions HTTP/1.1\r\nHost: inbox\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("written");
    let actions_before = action_count(&app).await;

    inbox.terminate();
    // It stops accepting connections...
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&host).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert!(refused, "new connections are refused once stopping");
    // ...ends the event stream cleanly...
    let ended = tokio::time::timeout(StdDuration::from_secs(5), async {
        loop {
            match events.chunk().await {
                Ok(Some(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("the stream ended");
    assert!(matches!(ended, Ok(None)), "ended cleanly: {ended:?}");
    // ...and finishes the request in flight.
    connection
        .write_all(tail.as_bytes())
        .await
        .expect("written");
    let mut response = String::new();
    connection
        .read_to_string(&mut response)
        .await
        .expect("answered");
    assert!(response.contains("HTTP/1.1 201 Created"), "{response}");
    assert_eq!(action_count(&app).await, actions_before + 1);

    assert!(inbox.exited().await.success(), "a clean exit");
    let claimed = deliveries::Entity::find()
        .filter(deliveries::Column::State.eq(inbox_domain::delivery::DeliveryState::Sending))
        .count(&app.db)
        .await
        .expect("counted");
    assert_eq!(claimed, 0, "no delivery left claimed by the stopped server");
}

/// How many times the bulk approval is killed: `INBOX_CRASH_TRIALS` (50 in `just reliability`),
/// 5 by default so that every run of the suite covers a few moments.
fn crash_trials() -> usize {
    std::env::var("INBOX_CRASH_TRIALS")
        .ok()
        .and_then(|trials| trials.parse().ok())
        .unwrap_or(5)
}

/// `kill -9` at a different moment of a 500-action bulk approval in each trial: the batch is
/// approved whole or not at all, a retry with the same key finishes it (or says it was applied),
/// and no action ever has two approvals or two deliveries. Timers that fell due while the server
/// was down fire once after the restart.
#[apply(backends)]
async fn a_bulk_approval_killed_at_any_moment_is_all_or_nothing(#[case] backend: Backend) {
    let app = spawn_app(backend).await;
    app.clock.set(Utc::now());
    let fixture = Fixture::new(&app).await;
    let token = app.key(fixture.location.id, Scope::ALL, None).await;
    let client = reqwest::Client::new();
    // No undo window and no SMTP: deliveries are recorded in the outbox as soon as the worker
    // runs, so a duplicate would show as a second row.
    let settings = [("INBOX_UNDO_SECONDS", "0"), ("INBOX_SWEEP_SECONDS", "1")];
    let trials = crash_trials();
    let mut committed_before_the_kill = 0;
    for trial in 0..trials {
        let ids: Vec<uuid::Uuid> = fixture
            .actions_minutes_ago(&app, 1..=500)
            .await
            .iter()
            .map(|action| action.id)
            .collect();
        // Due while the server is down: each expires once, after the restart.
        let expiring = fixture
            .action(&app, Utc::now() - chrono::Duration::days(3), |action| {
                action.expires_at = Utc::now() + chrono::Duration::milliseconds(300);
            })
            .await;
        let body = json!({"op": "approve", "ids": ids});
        let key = format!("crash-{trial}");
        let inbox = Inbox::start_with(app.database_url(), &settings).await;
        let bulk = {
            let (client, url, token, body, key) = (
                client.clone(),
                format!("{}/api/v1/actions/bulk", inbox.address),
                token.clone(),
                body.clone(),
                key.clone(),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", key)
                    .json(&body)
                    .send()
                    .await
            })
        };
        // A different moment each trial, spread over the request's life (and a little past it).
        let moment = (trial as u64 * 7_919) % 600;
        tokio::time::sleep(StdDuration::from_millis(moment)).await;
        inbox.kill().await;
        let _ = bulk.await;

        let approvals = approvals_of(&app, &ids).await;
        assert!(
            approvals == 0 || approvals == ids.len(),
            "trial {trial} (kill after {moment} ms): {approvals} of {} approved",
            ids.len()
        );
        committed_before_the_kill += usize::from(approvals > 0);
        let restarted = Inbox::start_with(app.database_url(), &settings).await;
        let retry = || {
            client
                .post(format!("{}/api/v1/actions/bulk", restarted.address))
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
        };
        let retried = retry().await.expect("retried");
        let mut status = retried.status();
        let mut answer: serde_json::Value = retried.json().await.expect("JSON");
        if status == StatusCode::CONFLICT && approvals == 0 {
            // Killed before it committed: the claim looks in progress until it is old enough to
            // be taken as abandoned (two minutes); the client's later retry runs the batch.
            assert!(
                answer["detail"]
                    .as_str()
                    .expect("detail")
                    .contains("in progress"),
                "{answer}"
            );
            age_claims(&app).await;
            let later = retry().await.expect("retried");
            status = later.status();
            answer = later.json().await.expect("JSON");
        }
        assert!(
            status == StatusCode::OK || (status == StatusCode::CONFLICT && approvals > 0),
            "trial {trial}: {status} {answer}"
        );
        if status == StatusCode::OK {
            let results = answer["results"].as_array().expect("results");
            assert_eq!(results.len(), ids.len());
        }
        assert_eq!(
            approvals_of(&app, &ids).await,
            ids.len(),
            "trial {trial}: none lost"
        );
        // The sweep fires the expiry that fell due while the server was down, once.
        let mut expired = 0;
        for _ in 0..100 {
            expired = events_of_kind(&app, expiring.id, EventKind::Expired).await;
            if expired > 0 {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        assert_eq!(expired, 1, "trial {trial}: the missed expiry fired once");
        restarted.kill().await;
        let outbox = deliveries::Entity::find()
            .filter(deliveries::Column::ActionId.is_in(ids.iter().copied()))
            .count(&app.db)
            .await
            .expect("counted");
        assert_eq!(outbox, ids.len() as u64, "trial {trial}: one delivery each");
        assert_eq!(
            events_of_kind(&app, expiring.id, EventKind::Expired).await,
            1
        );
    }
    // Figures for docs/reliability.md (`--nocapture`).
    println!(
        "{backend:?}: {trials} kills, {committed_before_the_kill} after the commit, {} before; \
         none partial, none lost, none twice",
        trials - committed_before_the_kill
    );
}

/// Makes the claims still in progress look as old as abandoned ones (as if the client retried
/// later). Keys are stored hashed; the trial's is the only one in progress.
async fn age_claims(app: &crate::helpers::TestApp) {
    use inbox_api::db::entities::idempotency_keys;
    use sea_orm::{sea_query::Expr, QueryFilter};
    idempotency_keys::Entity::update_many()
        .col_expr(
            idempotency_keys::Column::CreatedAt,
            Expr::value(Utc::now() - chrono::Duration::minutes(10)),
        )
        .filter(idempotency_keys::Column::ResponseStatus.is_null())
        .filter(idempotency_keys::Column::CommittedAt.is_null())
        .exec(&app.db)
        .await
        .expect("aged");
}

/// How many of `ids` have an approval recorded; panics if one has two.
async fn approvals_of(app: &crate::helpers::TestApp, ids: &[uuid::Uuid]) -> usize {
    let events = action_events::Entity::find()
        .filter(action_events::Column::Kind.eq(EventKind::Approved))
        .filter(action_events::Column::ActionId.is_in(ids.iter().copied()))
        .all(&app.db)
        .await
        .expect("read");
    let mut actions: Vec<uuid::Uuid> = events.iter().map(|event| event.action_id).collect();
    actions.sort_unstable();
    actions.dedup();
    assert_eq!(actions.len(), events.len(), "an action approved twice");
    events.len()
}

async fn events_of_kind(app: &crate::helpers::TestApp, id: uuid::Uuid, kind: EventKind) -> u64 {
    action_events::Entity::find()
        .filter(action_events::Column::ActionId.eq(id))
        .filter(action_events::Column::Kind.eq(kind))
        .count(&app.db)
        .await
        .expect("counted")
}
