//! The real `inbox serve` process, killed with SIGKILL between the commit of an approval and
//! the send of its message: after a restart the message is sent, once.

use std::{process::Stdio, time::Duration as StdDuration};

use inbox_api::db::entities::deliveries;
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
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = tokio::process::Command::new(env!("CARGO_BIN_EXE_inbox"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("INBOX_BIND", format!("127.0.0.1:{port}"))
            .env("INBOX_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
            .env("INBOX_UNDO_SECONDS", UNDO_SECONDS)
            .env("INBOX_WORKERS", "1")
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
