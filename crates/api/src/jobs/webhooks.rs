//! The webhook worker: claims due messages from the webhook outbox, POSTs each, signed, to its
//! endpoint and records the answer. It runs apart from the delivery worker, so a slow or failing
//! endpoint holds up neither customers' messages nor reviewing.

use std::{collections::HashMap, time::Duration as StdDuration};

use chrono::{DateTime, Duration, Utc};
use inbox_domain::delivery::{after_failed_attempt, DeliveryState};
use sea_orm::DatabaseConnection;

use super::{deliveries::DeliveryReport, webhook::SignedEndpoint};
use crate::{
    db::webhooks::{self, Attempt},
    services::ServiceError,
};

/// How many messages one claim takes; each gets at most [`TIMEOUT`].
const BATCH: u64 = 10;
/// Longer than a batch can take, so a slow worker's messages are not taken over and sent twice.
const LEASE: Duration = Duration::minutes(10);
/// How long an endpoint has to answer.
pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// Sends every message due at `now`.
#[tracing::instrument(skip_all, fields(%now))]
pub async fn run_once(
    db: &DatabaseConnection,
    http: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, ServiceError> {
    let mut report = DeliveryReport::default();
    loop {
        let claimed = webhooks::claim_due(db, now, LEASE, BATCH).await?;
        let endpoints: HashMap<_, _> =
            webhooks::endpoints_by_id(db, claimed.iter().map(|message| message.endpoint_id))
                .await?
                .into_iter()
                .map(|endpoint| (endpoint.id, endpoint))
                .collect();
        for message in &claimed {
            let Some(endpoint) = endpoints
                .get(&message.endpoint_id)
                .filter(|endpoint| endpoint.deleted_at.is_none())
            else {
                let attempt = Attempt {
                    state: DeliveryState::Cancelled,
                    deliver_at: message.deliver_at,
                    response_status: None,
                    error: Some("the endpoint was removed".to_owned()),
                };
                webhooks::record_attempt(db, message, attempt, now).await?;
                continue;
            };
            let signed = SignedEndpoint::new(&endpoint.url, &endpoint.secret);
            // The message's id names it: a retry carries the same one, so a receiver that saw
            // it can drop the repeat.
            let id = format!("msg_{}", message.id.simple());
            let body = message.payload.clone().into_bytes();
            let attempt = match signed.post(http, &id, now.timestamp(), body).await {
                Ok(response) => {
                    report.sent += 1;
                    Attempt {
                        state: DeliveryState::Sent,
                        deliver_at: message.deliver_at,
                        response_status: Some(response.status().as_u16()),
                        error: None,
                    }
                }
                Err(failure) => {
                    let (state, retry_at) = after_failed_attempt(
                        message.attempts,
                        failure.permanent,
                        now,
                        rand::random::<f64>(),
                    );
                    tracing::warn!(webhook_delivery_id = %message.id, error = %failure.message, "webhook failed");
                    if state == DeliveryState::Failed {
                        report.failed += 1;
                    } else {
                        report.retrying += 1;
                    }
                    Attempt {
                        state,
                        deliver_at: retry_at,
                        response_status: failure.status,
                        error: Some(failure.message),
                    }
                }
            };
            webhooks::record_attempt(db, message, attempt, now).await?;
        }
        if (claimed.len() as u64) < BATCH {
            return Ok(report);
        }
    }
}

/// The HTTP client webhooks are sent with.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .unwrap_or_default()
}
