//! Outbound webhooks: what integrations can subscribe to, which history entries they hear
//! about, and the endpoints an admin registers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{delivery::DeliveryState, dto::ActionEvent, problem::FieldErrors, EventKind};

/// An event an integration can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "sea-orm",
    derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum)
)]
#[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "Text"))]
pub enum WebhookEvent {
    /// An agent proposed an action (auto-executed ones too: see its `status`).
    #[serde(rename = "action.proposed")]
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "action.proposed"))]
    ActionProposed,
    /// A reviewer approved, rejected, snoozed or undid an action (or its trusted agent sent it
    /// as it was released).
    #[serde(rename = "action.decided")]
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "action.decided"))]
    ActionDecided,
    /// An action's message went out.
    #[serde(rename = "action.sent")]
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "action.sent"))]
    ActionSent,
    /// An action's delivery failed for good.
    #[serde(rename = "delivery.failed")]
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "delivery.failed"))]
    DeliveryFailed,
    /// An action's approved message was not sent: it no longer held when due to leave.
    #[serde(rename = "delivery.stopped")]
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "delivery.stopped"))]
    DeliveryStopped,
    /// An action nobody decided expired.
    #[serde(rename = "action.expired")]
    #[cfg_attr(feature = "sea-orm", sea_orm(string_value = "action.expired"))]
    ActionExpired,
}

impl WebhookEvent {
    pub const ALL: &'static [WebhookEvent] = &[
        WebhookEvent::ActionProposed,
        WebhookEvent::ActionDecided,
        WebhookEvent::ActionSent,
        WebhookEvent::DeliveryFailed,
        WebhookEvent::DeliveryStopped,
        WebhookEvent::ActionExpired,
    ];

    /// The name integrations see in a payload's `type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::ActionProposed => "action.proposed",
            WebhookEvent::ActionDecided => "action.decided",
            WebhookEvent::ActionSent => "action.sent",
            WebhookEvent::DeliveryFailed => "delivery.failed",
            WebhookEvent::DeliveryStopped => "delivery.stopped",
            WebhookEvent::ActionExpired => "action.expired",
        }
    }

    /// The webhook event an entry of an action's history raises, if any. Timers that only
    /// move an action back into review (a snooze or deferral ending) and follow-up reports are
    /// not decisions and raise none.
    pub const fn for_history(kind: EventKind) -> Option<WebhookEvent> {
        match kind {
            EventKind::Proposed => Some(WebhookEvent::ActionProposed),
            EventKind::Approved
            | EventKind::ApprovedForLater
            | EventKind::Rejected
            | EventKind::Snoozed
            | EventKind::Undone
            | EventKind::AutoExecuted => Some(WebhookEvent::ActionDecided),
            EventKind::Sent => Some(WebhookEvent::ActionSent),
            EventKind::DeliveryFailed => Some(WebhookEvent::DeliveryFailed),
            EventKind::DeliveryStopped => Some(WebhookEvent::DeliveryStopped),
            EventKind::Expired => Some(WebhookEvent::ActionExpired),
            EventKind::SnoozeElapsed
            | EventKind::DeferralElapsed
            | EventKind::DeliveryAttemptFailed
            | EventKind::DeliveryRetried
            | EventKind::Edited
            | EventKind::OutcomeReported
            | EventKind::ResponseLinked
            | EventKind::AutonomyPaused
            | EventKind::Audited => None,
        }
    }
}

impl std::fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest endpoint URL accepted.
pub const MAX_URL_CHARS: usize = 2000;
/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// A registered endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: Uuid,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://crm.example/hooks/ai-inbox")
    )]
    pub url: String,
    /// What it is sent.
    pub events: Vec<WebhookEvent>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint (`POST /api/v1/webhooks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"url": "https://crm.example/hooks/ai-inbox", "events": ["action.decided", "action.sent"], "description": "CRM sync"})))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookEndpoint {
    /// An `http://` or `https://` URL.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub url: String,
    /// At least one.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub events: Vec<WebhookEvent>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub description: Option<String>,
}

impl CreateWebhookEndpoint {
    /// The request with its URL and description trimmed and its events in order without
    /// repeats, or what is wrong with it.
    pub fn validate(&self) -> Result<CreateWebhookEndpoint, Vec<crate::FieldError>> {
        let mut errors = FieldErrors::default();
        let url = errors
            .check_http_url("url", &self.url, MAX_URL_CHARS)
            .unwrap_or_default();
        if self.events.is_empty() {
            errors.add("events", "give at least one event");
        }
        let description = self
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
            errors.add(
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            );
        }
        let mut events = self.events.clone();
        events.sort();
        events.dedup();
        errors.finish(CreateWebhookEndpoint {
            url,
            events,
            description: description.map(str::to_owned),
        })
    }
}

/// An endpoint just registered: the only time its signing secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWebhookEndpoint {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// Verifies the `webhook-signature` of every message, the Standard Webhooks way. It cannot
    /// be shown again.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    )]
    pub secret: String,
}

/// What an endpoint receives, in the Standard Webhooks envelope: the event's `type`, when it
/// happened, and the entry of the action's history that raised it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookMessage {
    #[serde(rename = "type")]
    pub event: WebhookEvent,
    pub timestamp: DateTime<Utc>,
    pub data: WebhookMessageData,
}

/// The action an event is about, and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookMessageData {
    pub action_id: Uuid,
    /// The entry of the action's history (`GET /actions/{id}` shows the same).
    pub history: ActionEvent,
}

/// One message to an endpoint, as its delivery log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Also the message's `webhook-id` (as `msg_` and the id without dashes).
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event: WebhookEvent,
    pub action_id: Option<Uuid>,
    pub state: DeliveryState,
    /// When it leaves, or is tried again.
    pub deliver_at: DateTime<Utc>,
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The HTTP status the endpoint last answered with.
    pub response_status: Option<i32>,
    /// Exactly the body that is signed and sent.
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str, events: Vec<WebhookEvent>) -> CreateWebhookEndpoint {
        CreateWebhookEndpoint {
            url: url.to_owned(),
            events,
            description: Some("  CRM  ".into()),
        }
    }

    #[test]
    fn every_decision_and_nothing_else_is_a_decided_event() {
        let decided: Vec<EventKind> = EventKind::ALL
            .iter()
            .copied()
            .filter(|kind| WebhookEvent::for_history(*kind) == Some(WebhookEvent::ActionDecided))
            .collect();
        assert_eq!(
            decided,
            [
                EventKind::Approved,
                EventKind::ApprovedForLater,
                EventKind::Rejected,
                EventKind::Snoozed,
                EventKind::Undone,
                EventKind::AutoExecuted
            ]
        );
        assert_eq!(
            WebhookEvent::for_history(EventKind::Expired),
            Some(WebhookEvent::ActionExpired)
        );
        assert_eq!(WebhookEvent::for_history(EventKind::SnoozeElapsed), None);
    }

    #[test]
    fn names_on_the_wire_are_the_contracts() {
        for event in WebhookEvent::ALL {
            assert_eq!(
                serde_json::to_value(event).expect("serialisable"),
                serde_json::json!(event.as_str())
            );
        }
    }

    #[test]
    fn a_valid_endpoint_is_trimmed_and_its_events_deduplicated() {
        let valid = request(
            " https://crm.example/hook ",
            vec![
                WebhookEvent::ActionSent,
                WebhookEvent::ActionProposed,
                WebhookEvent::ActionSent,
            ],
        )
        .validate()
        .expect("valid");
        assert_eq!(valid.url, "https://crm.example/hook");
        assert_eq!(
            valid.events,
            [WebhookEvent::ActionProposed, WebhookEvent::ActionSent]
        );
        assert_eq!(valid.description.as_deref(), Some("CRM"));
    }

    #[test]
    fn bad_urls_and_no_events_are_named() {
        for url in [
            "ftp://x.example",
            "https://",
            "crm.example",
            "http://a b.example",
        ] {
            let errors = request(url, vec![WebhookEvent::ActionSent])
                .validate()
                .expect_err("refused");
            assert_eq!(errors[0].field, "url", "{url}");
        }
        let errors = request("https://crm.example", vec![])
            .validate()
            .expect_err("refused");
        assert_eq!(errors[0].field, "events");
    }
}
