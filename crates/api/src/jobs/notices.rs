//! The notices worker: claims due digests, immediate emails and team-channel posts from the
//! notices outbox and sends each — email through the SMTP server (or the built-in outbox when
//! none is configured), posts to the location's Slack-compatible webhook — tried again with
//! back-off like every delivery.

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    delivery::{after_failed_attempt, DeliveryState},
    notices::NoticeChannel,
};
use lettre::{
    message::{Mailbox, MultiPart},
    Message,
};
use sea_orm::DatabaseConnection;
use serde_json::json;
use uuid::Uuid;

use super::deliveries::{Outbound, SendError};
use crate::{
    db::{self, entities::notices::Model as Notice},
    services::ServiceError,
};

/// How many notices one claim takes.
const BATCH: u64 = 20;
/// Longer than a batch can take to send, so a slow worker's notices are not sent twice.
const LEASE: Duration = Duration::minutes(10);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NoticeReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

fn email(notice: &Notice, sender: &str) -> Result<Message, SendError> {
    let mailbox = |value: &str, what: &str| -> Result<Mailbox, SendError> {
        value.parse().map_err(|error| SendError {
            message: format!("the {what} address: {error}"),
            permanent: true,
        })
    };
    let from = Mailbox::new(
        Some("AI Inbox".to_owned()),
        mailbox(sender, "sending")?.email,
    );
    Message::builder()
        .message_id(Some(format!("<notice-{}@ai-inbox>", notice.id)))
        .from(from)
        .to(mailbox(
            notice.recipient.as_deref().unwrap_or_default(),
            "reviewer's",
        )?)
        .subject(notice.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            notice.body_text.clone(),
            notice.body_html.clone().unwrap_or_default(),
        ))
        .map_err(|error| SendError {
            message: format!("the message cannot be built: {error}"),
            permanent: true,
        })
}

async fn send(
    db: &DatabaseConnection,
    outbound: &Outbound,
    http: &reqwest::Client,
    notice: &Notice,
) -> Result<(), SendError> {
    let location = db::locations::find(db, notice.location_id)
        .await
        .map_err(|error| SendError {
            message: format!("the location cannot be read: {error}"),
            permanent: false,
        })?
        .ok_or_else(|| SendError {
            message: "the location is gone".to_owned(),
            permanent: true,
        })?;
    match notice.channel {
        NoticeChannel::Email => {
            outbound
                .send_email(email(notice, &location.sending_address)?)
                .await
        }
        NoticeChannel::Slack => {
            // The URL as it is now: a channel removed or moved since is not posted to.
            let Some(url) = location.slack_webhook_url else {
                return Err(SendError {
                    message: "the location no longer has a team channel".to_owned(),
                    permanent: true,
                });
            };
            let response = http
                .post(&url)
                .json(&json!({ "text": notice.body_text }))
                .send()
                .await
                .map_err(|error| SendError {
                    message: format!("team channel: {}", error.without_url()),
                    permanent: false,
                })?;
            let status = response.status();
            if status.is_success() {
                Ok(())
            } else {
                Err(SendError {
                    message: format!("team channel: HTTP {status}"),
                    // Slack answers 4xx for a removed hook or a bad payload; only a rate limit
                    // is worth trying again.
                    permanent: status.is_client_error() && status.as_u16() != 429,
                })
            }
        }
    }
}

/// Sends every notice due at `now`: every location's, or only `location`'s when one is given
/// (`inbox digest --location`).
#[tracing::instrument(skip_all, fields(%now))]
pub async fn run_once(
    db: &DatabaseConnection,
    outbound: &Outbound,
    http: &reqwest::Client,
    now: DateTime<Utc>,
    location: Option<Uuid>,
) -> Result<NoticeReport, ServiceError> {
    let mut report = NoticeReport::default();
    loop {
        let claimed = db::notices::claim_due(db, now, LEASE, BATCH, location).await?;
        for notice in &claimed {
            match send(db, outbound, http, notice).await {
                Ok(()) => {
                    db::notices::record_attempt(db, notice, (DeliveryState::Sent, now), None, now)
                        .await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let next = after_failed_attempt(
                        notice.attempts,
                        error.permanent,
                        now,
                        rand::random::<f64>(),
                    );
                    tracing::warn!(notice_id = %notice.id, error = %error.message, "notice failed");
                    db::notices::record_attempt(db, notice, next, Some(error.message), now).await?;
                    if next.0 == DeliveryState::Failed {
                        report.failed += 1;
                    } else {
                        report.retrying += 1;
                    }
                }
            }
        }
        if (claimed.len() as u64) < BATCH {
            return Ok(report);
        }
    }
}
