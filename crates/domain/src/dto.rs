//! The JSON bodies of the REST API, shared by the server (which documents them) and the SPA
//! (which reads them). They are views: the server's storage types never leak into them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    delivery::{Delivery, DeliveryEntry, DeliveryState},
    ActionStatus, ActionType, Channel, Confidence, ConfidenceFactor, CustomerType, EventKind,
    Priority, RejectionReason, Tone,
};

/// A page of a list, in keyset order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[cfg_attr(feature = "openapi", schema(example = json!(null)))]
    pub next_cursor: Option<String>,
    /// How many items the whole filtered list holds; when `total_exact` is false, at least
    /// this many.
    #[cfg_attr(feature = "openapi", schema(example = 23))]
    pub total: u64,
    /// Whether `total` is exact. A filtered action list counts its matches only up to the
    /// server's cap (1,000 by default) unless `count=exact` asks for them all; a segment
    /// alone is always counted exactly.
    pub total_exact: bool,
}

impl<T> Page<T> {
    /// `total` as a person reads it: "23", or "1000+" when it is a lower bound.
    pub fn total_label(&self) -> String {
        if self.total_exact {
            self.total.to_string()
        } else {
            format!("{}+", self.total)
        }
    }
}

/// Who the action is for, as a list row shows it ("John Smith • Acme Corp • Member").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerSummary {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "John Smith"))]
    pub full_name: String,
    #[cfg_attr(feature = "openapi", schema(example = "Acme Corp"))]
    pub company: Option<String>,
    pub customer_type: CustomerType,
}

/// The agent (criteria type) that proposed an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSummary {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Due Invoice Reminders"))]
    pub name: String,
}

/// How far a list row counts its customer's pending actions (`pending_for_customer`): enough to
/// say "20+", at a bounded cost per row.
pub const PENDING_FOR_CUSTOMER_CAP: u32 = 20;

/// One row of the action list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionListItem {
    pub id: Uuid,
    /// The subject line (email) or the opening line of the script (voice), in full.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Payment reminder: Invoice #1234 is overdue")
    )]
    pub subject: String,
    pub customer: CustomerSummary,
    /// The criteria type: which agent proposed it.
    pub agent: AgentSummary,
    pub action_type: ActionType,
    /// `null` for internal notes and task reminders.
    pub channel: Option<Channel>,
    pub confidence: Confidence,
    pub priority: Priority,
    pub status: ActionStatus,
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-24T11:05:00Z"))]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-27T11:05:00Z"))]
    pub expires_at: DateTime<Utc>,
    /// Pass back as `expected_version` when reviewing.
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub version: i32,
    /// Where the message of an approved or auto-executed action stands; `null` until one is
    /// approved (and after an undo).
    pub delivery_state: Option<DeliveryState>,
    /// How many of this customer's actions wait in Pending (this one included, when it is
    /// pending), counted up to 20: 20 means 20 or more. The app groups them ("3 for John
    /// Smith", "20+ for …").
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = 1, maximum = 20))]
    pub pending_for_customer: u32,
}

/// What made the agent propose an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trigger {
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "Invoice #1234 is 5 days overdue. Customer has good payment history but missed this payment."
        )
    )]
    pub summary: String,
    /// Supporting data such as amounts and dates.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({"invoice_number": "1234", "amount": "€120.00", "days_overdue": 5})))]
    pub data: serde_json::Value,
}

/// A customer in full, as the detail panel's left side shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerProfile {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "John Smith"))]
    pub full_name: String,
    #[cfg_attr(feature = "openapi", schema(example = "Acme Corp"))]
    pub company: Option<String>,
    pub customer_type: CustomerType,
    #[cfg_attr(feature = "openapi", schema(example = "john.smith@acme.example"))]
    pub email: Option<String>,
    #[cfg_attr(feature = "openapi", schema(example = "+44 20 7946 0958"))]
    pub phone: Option<String>,
    /// The active plan, if any.
    #[cfg_attr(feature = "openapi", schema(example = "Hot Desk Monthly"))]
    pub plan: Option<String>,
    #[cfg_attr(feature = "openapi", schema(example = "/avatars/john-smith.svg"))]
    pub photo_url: Option<String>,
}

crate::action::wire_enum! {
    /// The four kinds of customer history the detail panel shows.
    pub enum HistoryKind {
        /// Check-ins, bookings, visits.
        Activity => ("activity", "Activity"),
        /// Emails, calls and messages exchanged.
        Communication => ("communication", "Communication"),
        /// Invoices paid, failed or refunded.
        Payment => ("payment", "Payment"),
        /// Support tickets.
        Ticket => ("ticket", "Ticket"),
    }
}

/// One entry of a customer's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub kind: HistoryKind,
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-20T09:12:00Z"))]
    pub occurred_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(example = "Checked in at the front desk"))]
    pub summary: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({})))]
    pub data: serde_json::Value,
}

/// One entry of an action's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionEvent {
    pub id: Uuid,
    /// What happened.
    pub kind: EventKind,
    pub from_status: Option<ActionStatus>,
    pub to_status: Option<ActionStatus>,
    /// Who did it: `user:<id>`, `key:<id>`, `agent:<id>` or `system`.
    #[cfg_attr(feature = "openapi", schema(example = "system"))]
    pub actor: String,
    /// Who did it, as people read it: the reviewer's or the agent's name, or the API key's;
    /// `null` for the system, for one since removed, and in webhook messages (`actor` names
    /// them there).
    #[cfg_attr(feature = "openapi", schema(example = "Ana Reviewer"))]
    pub actor_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(example = "2026-11-24T13:05:00Z"))]
    pub occurred_at: DateTime<Utc>,
    /// The action's version after this event.
    #[cfg_attr(feature = "openapi", schema(example = 2))]
    pub version: i32,
    /// Details: the edit as before/after, the reason, the note, the snooze time.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({})))]
    pub data: serde_json::Value,
}

impl ActionEvent {
    /// What the entry says about the action's delivery: where a sent message went, or why an
    /// attempt failed; `None` for other entries.
    pub fn delivery_entry(&self) -> Option<DeliveryEntry> {
        DeliveryEntry::of(self.kind, &self.data)
    }
}

/// The decisions taken on an action so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decisions {
    pub first_reviewed_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<RejectionReason>,
    pub rejection_note: Option<String>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub snooze_note: Option<String>,
    pub deferred_until: Option<DateTime<Utc>>,
    pub expired_at: Option<DateTime<Utc>>,
    pub auto_executed_at: Option<DateTime<Utc>>,
}

/// The draft as the customer would get it: email headers or the call's details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Draft {
    /// The customer's email address (email) or phone number (voice).
    #[cfg_attr(feature = "openapi", schema(example = "john.smith@acme.example"))]
    pub to: Option<String>,
    /// The location's default sending address (email).
    #[cfg_attr(feature = "openapi", schema(example = "hello@demo-coworking.example"))]
    pub from: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Payment reminder: Invoice #{{invoice_number}}")
    )]
    pub subject: Option<String>,
    /// Sanitised HTML with `{{variable}}` placeholders.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "<p>Hi {{customer_name}},</p><p>Invoice #{{invoice_number}} is overdue.</p>"
        )
    )]
    pub body: Option<String>,
    /// What the AI will say in the call (voice).
    pub script: Option<String>,
    pub tone: Option<Tone>,
    /// Estimated call length (voice).
    #[cfg_attr(feature = "openapi", schema(example = 90))]
    pub estimated_duration_seconds: Option<i32>,
    /// The location's email signature, appended when sent.
    pub signature: Option<String>,
    /// The action's own variables (the customer's and location's fields fill the rest).
    #[cfg_attr(feature = "openapi", schema(example = json!({"invoice_number": "1234", "amount": "€120.00"})))]
    pub variables: BTreeMap<String, String>,
}

/// One action in full: the detail panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionDetail {
    pub id: Uuid,
    pub status: ActionStatus,
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub version: i32,
    pub action_type: ActionType,
    pub channel: Option<Channel>,
    pub priority: Priority,
    pub confidence: Confidence,
    pub confidence_factors: Vec<ConfidenceFactor>,
    pub trigger: Trigger,
    pub draft: Draft,
    pub customer: CustomerProfile,
    pub agent: AgentSummary,
    /// The agent's own identifier for the action; unique per agent.
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub not_before: Option<DateTime<Utc>>,
    pub decisions: Decisions,
    /// Every event of this action, oldest first.
    pub history: Vec<ActionEvent>,
    /// The customer's recent history, newest first.
    pub customer_history: Vec<HistoryEntry>,
    /// Earlier proactive actions for the same customer, newest first.
    pub earlier_actions: Vec<ActionListItem>,
    /// What followed, as integrations reported it.
    pub outcomes: Vec<Outcome>,
    /// Customer responses linked to this action.
    pub responses: Vec<CustomerResponse>,
    /// The message an approval (or auto-execute) sends, exactly as it goes out, with its state
    /// and attempts; `null` until one is approved (and after an undo).
    pub delivery: Option<Delivery>,
    /// What the reviewer should know before deciding a pending or snoozed action: a customer
    /// contacted as often as the location allows, a confidence under its floor. (Who else is
    /// reviewing it is presence: `GET /leases` and the event stream.)
    #[serde(default)]
    pub warnings: Vec<crate::safeguards::WarningNotice>,
    /// For an action its agent sent alone and set aside for a person to check: where that
    /// check stands; `null` otherwise.
    #[serde(default)]
    pub audit: Option<AuditState>,
}

impl ActionDetail {
    /// What a caller who may propose but not read sees of its own proposal: the action as it
    /// proposed it, without the customer's record (contact details, plan, history, other
    /// agents' actions) that only `actions:read` opens.
    pub fn as_seen_by_proposer(mut self) -> ActionDetail {
        self.customer.email = None;
        self.customer.phone = None;
        self.customer.plan = None;
        self.customer.photo_url = None;
        self.draft.to = None;
        self.customer_history.clear();
        self.earlier_actions.clear();
        self
    }
}

mod requests;
pub use requests::*;
