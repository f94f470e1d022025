//! The delivery worker: claims due deliveries from the outbox, sends each on its channel and
//! records the result. [`run_once`] is one pass at a given time; the server runs it every second
//! and tests call it with their own clock.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use inbox_domain::delivery::{after_failure, DeliveryChannel, MAX_ATTEMPTS};
use lettre::{
    message::{Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sea_orm::DatabaseConnection;

use crate::{
    clock::Clock,
    db::{deliveries, entities::deliveries::Model as Delivery},
    services::ServiceError,
};

/// How long a worker may hold a claimed delivery before another takes it over.
const LEASE: Duration = Duration::seconds(60);
/// How many deliveries one pass claims.
const BATCH: u64 = 50;

/// Where deliveries go: an SMTP server for email when one is configured; otherwise the built-in
/// outbox, where the rendered message is kept for `GET /api/v1/deliveries` to show.
#[derive(Clone, Default)]
pub struct Outbound {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl std::fmt::Debug for Outbound {
    // The transport holds the SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let smtp = if self.smtp.is_some() {
            "configured"
        } else {
            "none"
        };
        f.debug_struct("Outbound").field("smtp", &smtp).finish()
    }
}

impl Outbound {
    /// From `INBOX_SMTP_URL`: `smtp://user:pass@host:port?tls=required`, `smtps://…`, or none.
    pub fn new(smtp_url: Option<&str>) -> anyhow::Result<Outbound> {
        let smtp = smtp_url
            .map(|url| {
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map(|builder| builder.timeout(Some(StdDuration::from_secs(30))).build())
                    .map_err(|error| anyhow::anyhow!("INBOX_SMTP_URL is not usable: {error}"))
            })
            .transpose()?;
        Ok(Outbound { smtp })
    }
}

/// Why a send failed, and whether trying again can help.
struct SendError {
    message: String,
    permanent: bool,
}

impl SendError {
    fn permanent(message: impl Into<String>) -> SendError {
        SendError {
            message: message.into(),
            permanent: true,
        }
    }
}

/// A stable `Message-ID` derived from the action, so that a retried send is recognisable.
pub fn message_id(delivery: &Delivery) -> String {
    format!("<{}@ai-inbox>", delivery.action_id)
}

fn email(delivery: &Delivery) -> Result<Message, SendError> {
    let mailbox = |value: Option<&str>, what: &str| -> Result<Mailbox, SendError> {
        value
            .ok_or_else(|| SendError::permanent(format!("no {what} address")))?
            .parse()
            .map_err(|error| SendError::permanent(format!("the {what} address: {error}")))
    };
    Message::builder()
        .message_id(Some(message_id(delivery)))
        .from(mailbox(delivery.sender.as_deref(), "sending")?)
        .to(mailbox(delivery.recipient.as_deref(), "customer's email")?)
        .subject(delivery.subject.clone().unwrap_or_default())
        .multipart(MultiPart::alternative_plain_html(
            delivery.body_text.clone().unwrap_or_default(),
            delivery.body_html.clone().unwrap_or_default(),
        ))
        .map_err(|error| SendError::permanent(format!("the message cannot be built: {error}")))
}

/// Sends one delivery; the provider's id for it (an email's `Message-ID`) on success.
async fn send(outbound: &Outbound, delivery: &Delivery) -> Result<Option<String>, SendError> {
    match delivery.channel {
        DeliveryChannel::Email => {
            let message = email(delivery)?;
            if let Some(smtp) = &outbound.smtp {
                smtp.send(message).await.map_err(|error| SendError {
                    permanent: error.is_permanent(),
                    message: format!("SMTP: {error}"),
                })?;
            }
            Ok(Some(message_id(delivery)))
        }
        // Calls stay in the built-in outbox until the voice webhook comes.
        DeliveryChannel::Voice => Ok(None),
        // Recorded on the customer's history when the send is recorded.
        DeliveryChannel::Internal => Ok(None),
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Sends every delivery due at `now`.
#[tracing::instrument(skip_all, fields(%now))]
pub async fn run_once(
    db: &DatabaseConnection,
    outbound: &Outbound,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, ServiceError> {
    let mut report = DeliveryReport::default();
    loop {
        let claimed = deliveries::claim_due(db, now, LEASE, BATCH).await?;
        for delivery in &claimed {
            match send(outbound, delivery).await {
                Ok(provider_id) => {
                    deliveries::record_sent(db, delivery, provider_id, now).await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let attempts = if error.permanent {
                        MAX_ATTEMPTS
                    } else {
                        delivery.attempts + 1
                    };
                    let next = after_failure(attempts, now, rand::random::<f64>());
                    tracing::warn!(delivery_id = %delivery.id, error = %error.message, "delivery failed");
                    deliveries::record_failure(db, delivery, next, &error.message, now).await?;
                    if next.0 == inbox_domain::delivery::DeliveryState::Failed {
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

/// Delivers every `interval` until the server stops.
pub async fn run_schedule(
    db: DatabaseConnection,
    outbound: Outbound,
    clock: std::sync::Arc<dyn Clock>,
    interval: StdDuration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match run_once(&db, &outbound, clock.now()).await {
            Ok(report) if report != DeliveryReport::default() => {
                tracing::info!(?report, "deliveries")
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "delivery pass failed; retrying on the next tick"),
        }
    }
}
