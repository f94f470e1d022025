//! The real `inbox serve` process, killed with SIGKILL between the commit of an approval and
//! the send of its message: after a restart the message is sent, once.

use std::{process::Stdio, time::Duration as StdDuration};

use chrono::Utc;
use inbox_domain::auth::Scope;
use reqwest::StatusCode;
use rstest_reuse::apply;
use serde_json::{json, Value};

use crate::{
    helpers::{backends, id_of, proposal, spawn_app, Backend, Fixture},
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
