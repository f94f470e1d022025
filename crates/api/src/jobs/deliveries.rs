//! The delivery worker: claims due deliveries from the outbox, sends each on its channel and
//! records the result. [`run_once`] is one pass at a given time; the server runs it every second
//! and tests call it with their own clock.

use std::time::Duration as StdDuration;

use anyhow::{anyhow, bail};
use chrono::{DateTime, Duration, Utc};
use inbox_domain::delivery::{after_failed_attempt, DeliveryChannel};
use inbox_domain::Tone;
use lettre::{
    message::{Mailbox, MultiPart},
    transport::smtp::client::{Certificate, Tls, TlsParameters},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::webhook::SignedEndpoint;
use crate::{
    bus::EventBus,
    db::{
        self, deliveries,
        entities::{actions, deliveries::Model as Delivery},
    },
    services::ServiceError,
    shutdown::Stopping,
};

/// How many deliveries one claim takes. They are sent one after another, each within the
/// transports' timeouts (30 s for SMTP, 15 s for the webhook).
const BATCH: u64 = 10;
/// How long a worker holds what it claimed before another may take it over: longer than a
/// whole batch can take to send, so a slow worker's messages are never sent twice, and short
/// enough that a crashed worker's are sent soon after.
const LEASE: Duration = Duration::minutes(10);

/// How long an agent's precondition URL has to answer before the check counts as a failed
/// attempt (tried again later).
const PRECONDITION_TIMEOUT: StdDuration = StdDuration::from_secs(5);

/// Where deliveries go: an SMTP server for email and a signed webhook for calls, when they are
/// configured; otherwise the built-in outbox, where the rendered message is kept for
/// `GET /api/v1/deliveries` to show.
#[derive(Clone, Default)]
pub struct Outbound {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    voice: Option<SignedEndpoint>,
    http: reqwest::Client,
    /// Asks agents' precondition URLs, briefly: a message waits for no slow answer.
    preconditions: reqwest::Client,
}

impl std::fmt::Debug for Outbound {
    // The transport holds the SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let smtp = if self.smtp.is_some() {
            "configured"
        } else {
            "none"
        };
        f.debug_struct("Outbound")
            .field("smtp", &smtp)
            .field("voice", &self.voice)
            .finish()
    }
}

impl Outbound {
    /// From `INBOX_SMTP_URL` (`smtp://user:pass@host:port`, `?tls=required` for STARTTLS,
    /// `smtps://…` for TLS from the start, or none for the built-in outbox) and the PEM of
    /// `INBOX_SMTP_CA_FILE`, a CA trusted besides the public ones (a relay with a private CA).
    pub fn new(smtp_url: Option<&str>, trusted_ca_pem: Option<&[u8]>) -> anyhow::Result<Outbound> {
        let smtp = smtp_url
            .map(|url| smtp_transport(url, trusted_ca_pem))
            .transpose()?;
        // An agent's URL answers for itself: it is not followed elsewhere.
        let preconditions = reqwest::Client::builder()
            .timeout(PRECONDITION_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Outbound {
            smtp,
            preconditions,
            ..Outbound::default()
        })
    }

    /// Calls go to the voice provider's webhook at `url`, signed with `secret`.
    pub fn with_voice_webhook(self, url: &str, secret: &str) -> anyhow::Result<Outbound> {
        let http = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(15))
            .build()?;
        Ok(Outbound {
            voice: Some(SignedEndpoint::new(url, secret)),
            http,
            ..self
        })
    }
}

/// The SMTP transport `url` describes, trusting `trusted_ca_pem` as well when it is given.
fn smtp_transport(
    url: &str,
    trusted_ca_pem: Option<&[u8]>,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let unusable = |error: &dyn std::fmt::Display| anyhow!("INBOX_SMTP_URL is not usable: {error}");
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|error| unusable(&error))?;
    if let Some(pem) = trusted_ca_pem {
        let parsed = reqwest::Url::parse(url).map_err(|error| unusable(&error))?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        let tls_query = parsed
            .query_pairs()
            .find(|(name, _)| name == "tls")
            .map(|(_, value)| value.into_owned());
        let ca = Certificate::from_pem(pem)
            .map_err(|error| anyhow!("INBOX_SMTP_CA_FILE is not a PEM certificate: {error}"))?;
        let parameters = TlsParameters::builder(host)
            .add_root_certificate(ca)
            .build_rustls()
            .map_err(|error| unusable(&error))?;
        builder = builder.tls(match (parsed.scheme(), tls_query.as_deref()) {
            ("smtps", _) => Tls::Wrapper(parameters),
            ("smtp", Some("required")) => Tls::Required(parameters),
            ("smtp", Some("opportunistic")) => Tls::Opportunistic(parameters),
            _ => bail!(
                "INBOX_SMTP_CA_FILE needs a TLS INBOX_SMTP_URL: smtps://… or smtp://…?tls=required"
            ),
        });
    }
    Ok(builder.timeout(Some(StdDuration::from_secs(30))).build())
}

impl Outbound {
    /// Sends `message` through the SMTP server; without one, it stays in the built-in outbox
    /// (the row that holds it is the record).
    pub(super) async fn send_email(&self, message: Message) -> Result<(), SendError> {
        if let Some(smtp) = &self.smtp {
            smtp.send(message).await.map_err(|error| SendError {
                permanent: error.is_permanent(),
                message: format!("SMTP: {error}"),
            })?;
        }
        Ok(())
    }
}

/// Why a send failed, and whether trying again can help.
pub(super) struct SendError {
    pub message: String,
    pub permanent: bool,
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
    let html = delivery.body_html.clone().unwrap_or_default();
    let text = deliveries::text_alternative(&html).map_err(|error| {
        SendError::permanent(format!("the message's HTML cannot be read: {error}"))
    })?;
    Message::builder()
        .message_id(Some(message_id(delivery)))
        .from(mailbox(delivery.sender.as_deref(), "sending")?)
        .to(mailbox(delivery.recipient.as_deref(), "customer's email")?)
        .subject(delivery.subject.clone().unwrap_or_default())
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|error| SendError::permanent(format!("the message cannot be built: {error}")))
}

/// What the voice provider receives for a call.
#[derive(Debug, Serialize)]
struct VoiceCall<'a> {
    delivery_id: Uuid,
    action_id: Uuid,
    /// The number to call.
    to: Option<&'a str>,
    /// The script with its variables filled.
    script: Option<&'a str>,
    tone: Option<Tone>,
    estimated_duration_seconds: Option<i32>,
}

/// The provider's answer: its id for the call, when it gives one.
#[derive(Debug, Default, Deserialize)]
struct VoiceAnswer {
    call_id: Option<String>,
}

async fn call(
    outbound: &Outbound,
    endpoint: &SignedEndpoint,
    delivery: &Delivery,
    action: Option<&actions::Model>,
    now: DateTime<Utc>,
) -> Result<Option<String>, SendError> {
    let body = serde_json::to_vec(&VoiceCall {
        delivery_id: delivery.id,
        action_id: delivery.action_id,
        to: delivery.recipient.as_deref(),
        script: delivery.script.as_deref(),
        tone: action.and_then(|action| action.tone),
        estimated_duration_seconds: action.and_then(|action| action.estimated_duration_seconds),
    })
    .map_err(|error| SendError::permanent(error.to_string()))?;
    // The delivery's id names the message: a retry carries the same one.
    let id = format!("msg_{}", delivery.id.simple());
    let response = endpoint
        .post(&outbound.http, &id, now.timestamp(), body)
        .await
        .map_err(|failure| SendError {
            message: format!("voice webhook: {}", failure.message),
            permanent: failure.permanent,
        })?;
    let answer: VoiceAnswer = response.json().await.unwrap_or_default();
    Ok(answer.call_id)
}

/// Sends one delivery; the provider's id for it (an email's `Message-ID`, a call's id) on
/// success.
async fn send(
    db: &DatabaseConnection,
    outbound: &Outbound,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<Option<String>, SendError> {
    match delivery.channel {
        DeliveryChannel::Email => {
            outbound.send_email(email(delivery)?).await?;
            Ok(Some(message_id(delivery)))
        }
        DeliveryChannel::Voice => match &outbound.voice {
            Some(endpoint) => {
                let action = db::actions::find(db, delivery.location_id, delivery.action_id)
                    .await
                    .map_err(|error| SendError {
                        message: error.to_string(),
                        permanent: false,
                    })?;
                call(outbound, endpoint, delivery, action.as_ref(), now).await
            }
            None => Ok(None),
        },
        // Recorded on the customer's history when the send is recorded.
        DeliveryChannel::Internal => Ok(None),
    }
}

/// Why `delivery` must not leave now, if it must not: its customer acted after its action was
/// proposed (an email or a call only: a note is still worth keeping), or the agent's
/// precondition URL answered 409, 410 or 412. A precondition that cannot be asked is a failed
/// attempt, tried again later.
async fn stale(
    db: &DatabaseConnection,
    outbound: &Outbound,
    delivery: &Delivery,
) -> Result<Option<String>, SendError> {
    let transient = |message: String| SendError {
        message,
        permanent: false,
    };
    // What failed is logged; the delivery's history says only that the check could not run.
    let unreadable = |error: sea_orm::DbErr| {
        tracing::warn!(delivery_id = %delivery.id, ?error, "the pre-send check failed");
        transient("the pre-send check could not read the database".to_owned())
    };
    if delivery.channel != DeliveryChannel::Internal {
        let moot = deliveries::moot_since(db, delivery)
            .await
            .map_err(unreadable)?;
        if moot.is_some() {
            return Ok(moot);
        }
    }
    let action = db::actions::find(db, delivery.location_id, delivery.action_id)
        .await
        .map_err(unreadable)?;
    let Some(url) = action.and_then(|action| action.precondition_url) else {
        return Ok(None);
    };
    let response = outbound
        .preconditions
        .get(&url)
        .send()
        .await
        .map_err(|error| transient(format!("precondition check: {error}")))?;
    let status = response.status();
    match status.as_u16() {
        200..=299 => Ok(None),
        409 | 410 | 412 => Ok(Some(format!(
            "Not sent: the agent's precondition no longer holds (its URL answered {status})."
        ))),
        _ => Err(transient(format!("precondition check: HTTP {status}"))),
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Not sent because they no longer held.
    pub stopped: usize,
}

/// Sends every delivery due at `now`. Each attempt changes what its action's location shows
/// (the delivery state), which `bus` is told of.
pub async fn run_once(
    db: &DatabaseConnection,
    bus: &EventBus,
    outbound: &Outbound,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, ServiceError> {
    run_until_stopping(db, bus, outbound, now, &Stopping::never()).await
}

/// [`run_once`], until the server stops: the message being sent is finished and recorded, and
/// what the worker claimed but has not sent yet goes back to the outbox at once, so that no
/// delivery stays claimed by a worker that is gone.
#[tracing::instrument(skip_all, fields(%now))]
pub async fn run_until_stopping(
    db: &DatabaseConnection,
    bus: &EventBus,
    outbound: &Outbound,
    now: DateTime<Utc>,
    stopping: &Stopping,
) -> Result<DeliveryReport, ServiceError> {
    let mut report = DeliveryReport::default();
    loop {
        if stopping.is_stopping() {
            return Ok(report);
        }
        let claimed = deliveries::claim_due(db, now, LEASE, BATCH).await?;
        // Claimed deliveries show as `sending`.
        for delivery in &claimed {
            bus.touch(delivery.location_id);
        }
        for (sent, delivery) in claimed.iter().enumerate() {
            if stopping.is_stopping() {
                let unsent: Vec<Uuid> = claimed[sent..].iter().map(|row| row.id).collect();
                deliveries::release(db, &unsent, now).await?;
                for delivery in &claimed[sent..] {
                    bus.touch(delivery.location_id);
                }
                return Ok(report);
            }
            let result = match stale(db, outbound, delivery).await {
                Ok(Some(reason)) => {
                    tracing::info!(delivery_id = %delivery.id, %reason, "delivery stopped");
                    deliveries::record_stopped(db, bus, delivery, &reason, now).await?;
                    report.stopped += 1;
                    bus.touch(delivery.location_id);
                    continue;
                }
                Ok(None) => send(db, outbound, delivery, now).await,
                Err(error) => Err(error),
            };
            match result {
                Ok(provider_id) => {
                    deliveries::record_sent(db, delivery, provider_id, now).await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let next = after_failed_attempt(
                        delivery.attempts,
                        error.permanent,
                        now,
                        rand::random::<f64>(),
                    );
                    tracing::warn!(delivery_id = %delivery.id, error = %error.message, "delivery failed");
                    deliveries::record_failure(db, delivery, next, &error.message, now).await?;
                    if next.0 == inbox_domain::delivery::DeliveryState::Failed {
                        report.failed += 1;
                    } else {
                        report.retrying += 1;
                    }
                }
            }
            bus.touch(delivery.location_id);
        }
        if (claimed.len() as u64) < BATCH {
            return Ok(report);
        }
    }
}
