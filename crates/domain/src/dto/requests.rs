//! Request bodies of the review verbs, bulk, outcomes and agents, and the answers they get.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ActionListItem, CustomerProfile, HistoryEntry, Trigger};
use crate::{ActionStatus, ActionType, Channel, ConfidenceFactor, Priority, RejectionReason, Tone};

/// What an agent proposes (`POST /api/v1/actions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "customer_id": "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57",
    "agent_id": "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f58",
    "action_type": "draft_message",
    "channel": "email",
    "subject": "Payment reminder: Invoice #{{invoice_number}}",
    "body": "<p>Hi {{first_name}},</p><p>Invoice #{{invoice_number}} for {{amount}} is 5 days overdue.</p>",
    "confidence": 87,
    "confidence_factors": [{"label": "Strong payment history", "impact": 14}],
    "priority": "high",
    "trigger": {"summary": "Invoice #1234 is 5 days overdue. Customer has good payment history but missed this payment.", "data": {"invoice_number": "1234", "amount": "£120.00"}},
    "variables": {"invoice_number": "1234", "amount": "£120.00"},
    "external_id": "invoice-1234-reminder-1"
})))]
#[serde(deny_unknown_fields)]
pub struct ProposeAction {
    /// The customer the action is for.
    pub customer_id: Uuid,
    /// The proposing agent (criteria type); implied by an agent's own API key.
    #[serde(default)]
    pub agent_id: Option<Uuid>,
    pub action_type: ActionType,
    /// `email` for a draft message, `voice` for voice outreach, absent for notes and tasks.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The subject line (email, note, task).
    #[serde(default)]
    pub subject: Option<String>,
    /// HTML; sanitised on the way in (scripts, styles and event handlers are removed).
    #[serde(default)]
    pub body: Option<String>,
    /// What the AI will say (voice).
    #[serde(default)]
    pub script: Option<String>,
    #[serde(default)]
    pub tone: Option<Tone>,
    /// Estimated call length, 1–3600 seconds (voice).
    #[serde(default)]
    pub estimated_duration_seconds: Option<i32>,
    /// 0–100.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100, example = 87))]
    pub confidence: i64,
    #[serde(default)]
    pub confidence_factors: Vec<ConfidenceFactor>,
    pub priority: Priority,
    pub trigger: Trigger,
    /// Values for the draft's `{{placeholders}}`, besides the customer's and location's fields.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// When the action stops being worth sending, at most 90 days ahead; default: the agent's time
    /// to expire.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Hold the action (as `deferred`) until this time.
    #[serde(default)]
    pub not_before: Option<DateTime<Utc>>,
    /// The agent's own id for the action, unique per agent: a replay returns the first action.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Asked just before an approved message leaves: a 2xx answer means the reason for it
    /// still holds; 409, 410 or 412 means it no longer does, and the message is stopped.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            example = "https://billing.example/invoices/1234/still-due"
        )
    )]
    pub precondition_url: Option<String>,
}

/// Approve & Send; with `subject`, `body` or `script` it is Edit & Approve.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"expected_version": 1})))]
#[serde(deny_unknown_fields)]
pub struct ApproveAction {
    /// The version the reviewer saw; a different current version is a 409.
    #[serde(default)]
    pub expected_version: Option<i32>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub script: Option<String>,
    /// Warnings the reviewer has seen and decides despite (see `warnings` of a confirmation
    /// problem): `held_by_another`, `contact_cap`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<crate::safeguards::ReviewWarning>,
}

/// Reject with a reason; `other` needs a note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"expected_version": 1, "reason": "already_resolved", "note": "Paid at the front desk."})))]
#[serde(deny_unknown_fields)]
pub struct RejectAction {
    #[serde(default)]
    pub expected_version: Option<i32>,
    pub reason: RejectionReason,
    /// Internal notes; required when `reason` is `other`.
    #[serde(default)]
    pub note: Option<String>,
    /// Warnings the reviewer has seen and decides despite (see `warnings` of a confirmation
    /// problem): `held_by_another`, `contact_cap`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<crate::safeguards::ReviewWarning>,
}

/// Snooze for a preset `duration` or until a custom time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"expected_version": 1, "duration": "4h", "note": "Ask the manager first."})))]
#[serde(deny_unknown_fields)]
pub struct SnoozeAction {
    #[serde(default)]
    pub expected_version: Option<i32>,
    /// `1h`, `4h`, `1d` or `3d`; or give `until`.
    #[serde(default)]
    pub duration: Option<crate::SnoozeDuration>,
    /// A custom time in the future; or give `duration`.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// A reminder note.
    #[serde(default)]
    pub note: Option<String>,
    /// Warnings the reviewer has seen and decides despite (see `warnings` of a confirmation
    /// problem): `held_by_another`, `contact_cap`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<crate::safeguards::ReviewWarning>,
}

/// Save draft edits without deciding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"expected_version": 1, "subject": "A friendly reminder about invoice #{{invoice_number}}"})))]
#[serde(deny_unknown_fields)]
pub struct EditDraft {
    /// Required: the version the edits were made on.
    pub expected_version: i32,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub script: Option<String>,
}

/// A draft to preview instead of the stored one (fields left out come from the stored draft).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"subject": "Invoice #{{invoice_number}}", "body": "<p>Hi {{first_name}}</p>"})))]
#[serde(deny_unknown_fields)]
pub struct PreviewDraft {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub script: Option<String>,
}

/// Exactly what the customer will receive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preview {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Payment reminder: Invoice #1234")
    )]
    pub subject: Option<String>,
    /// The body with values filled in (HTML-escaped) and the signature appended.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "<p>Hi Zoë</p><p>Best wishes,<br>The Northside team</p>")
    )]
    pub body_html: Option<String>,
    /// The same as plain text.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Hi Zoë\n\nBest wishes,\nThe Northside team")
    )]
    pub body_text: Option<String>,
    pub script: Option<String>,
    /// Placeholders nothing fills; approving is refused while any remain.
    #[cfg_attr(feature = "openapi", schema(example = json!([])))]
    pub unknown_variables: Vec<String>,
}

/// A bulk operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkOp {
    Approve,
    Reject,
    Snooze,
    /// Take approvals back whose messages have not left yet (undo send for a whole batch).
    Undo,
}

/// One action of a bulk request: its id, or its id with the version the reviewer saw, so that a
/// draft someone changed since the list loaded is not decided unseen (that id fails with 409,
/// as the single verbs do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(
    untagged,
    expecting = "an action id, or an object with `id` and `expected_version`"
)]
pub enum BulkTarget {
    Id(Uuid),
    Versioned(VersionedId),
}

/// An action id with the version the reviewer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VersionedId {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = 2))]
    pub expected_version: i32,
}

impl BulkTarget {
    pub fn id(&self) -> Uuid {
        match self {
            BulkTarget::Id(id) | BulkTarget::Versioned(VersionedId { id, .. }) => *id,
        }
    }

    pub fn expected_version(&self) -> Option<i32> {
        match self {
            BulkTarget::Id(_) => None,
            BulkTarget::Versioned(versioned) => Some(versioned.expected_version),
        }
    }
}

impl From<Uuid> for BulkTarget {
    fn from(id: Uuid) -> Self {
        BulkTarget::Id(id)
    }
}

/// Decide many actions at once; each is decided on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"op": "snooze", "ids": ["0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57"], "duration": "1d"})))]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    pub op: BulkOp,
    /// 1 to 500 actions: ids, or `{id, expected_version}` objects (mixed as needed).
    pub ids: Vec<BulkTarget>,
    /// For `reject`.
    #[serde(default)]
    pub reason: Option<RejectionReason>,
    /// For `reject` and `snooze`.
    #[serde(default)]
    pub note: Option<String>,
    /// For `snooze`: a preset, or give `until`.
    #[serde(default)]
    pub duration: Option<crate::SnoozeDuration>,
    /// For `snooze`: a custom time.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Decide nothing: report, per id, what would happen (`ok` and the status it would move to)
    /// or why not (the error the decision would meet). The pre-flight of a bulk decision.
    #[serde(default)]
    pub dry_run: bool,
    /// For `approve`: warnings decided despite (`contact_cap`). An action another reviewer is
    /// reviewing is always skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<crate::safeguards::ReviewWarning>,
}

/// Why one id of a bulk request was not decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkError {
    /// The HTTP status the single verb would have answered: 404, 409 or 422.
    #[cfg_attr(feature = "openapi", schema(example = 409))]
    pub status: u16,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "a approved action cannot be approved")
    )]
    pub detail: String,
}

/// The outcome for one id of a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResult {
    pub id: Uuid,
    pub ok: bool,
    /// The action's status after the request (absent for an unknown id).
    pub status: Option<ActionStatus>,
    pub error: Option<BulkError>,
    /// What the reviewer should know about this id: why it needs confirming, or (for `ok` ones
    /// of a dry run) what makes it less than clean, such as a low confidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::safeguards::WarningNotice>,
}

/// Per-id results, in the order of the request's ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResponse {
    pub results: Vec<BulkResult>,
}

crate::action::wire_enum! {
    /// What followed a sent action.
    pub enum OutcomeKind {
        PaymentMade => ("payment_made", "Payment made"),
        ConversationStarted => ("conversation_started", "Conversation started"),
        BookingMade => ("booking_made", "Booking made"),
        Replied => ("replied", "Replied"),
        Renewed => ("renewed", "Renewed"),
        Unsubscribed => ("unsubscribed", "Unsubscribed"),
        NoResponse => ("no_response", "No response"),
        Other => ("other", "Other"),
    }
}

impl OutcomeKind {
    /// Whether this, reported after an action was proposed, makes its message moot: the
    /// customer paid, replied, booked, renewed or unsubscribed. Another kind (no response, a
    /// conversation started, other) leaves it standing.
    pub const fn moots_outreach(self) -> bool {
        matches!(
            self,
            OutcomeKind::PaymentMade
                | OutcomeKind::Replied
                | OutcomeKind::BookingMade
                | OutcomeKind::Renewed
                | OutcomeKind::Unsubscribed
        )
    }
}

/// An integration's report of what followed (`POST /api/v1/actions/{id}/outcome`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"kind": "payment_made", "occurred_at": "2026-11-25T09:30:00Z", "data": {"amount": "£120.00"}})))]
#[serde(deny_unknown_fields)]
pub struct ReportOutcome {
    pub kind: OutcomeKind,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// A recorded outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    pub id: Uuid,
    pub kind: OutcomeKind,
    pub occurred_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
    pub recorded_at: DateTime<Utc>,
}

/// A customer's reply linked to an action (`POST /api/v1/actions/{id}/responses`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"conversation_id": "conv_8812", "excerpt": "Thanks, paid it just now!", "received_at": "2026-11-25T09:12:00Z"})))]
#[serde(deny_unknown_fields)]
pub struct LinkResponse {
    /// The conversation in AI Conversations.
    pub conversation_id: String,
    pub excerpt: String,
    pub received_at: DateTime<Utc>,
}

/// A linked customer response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerResponse {
    pub id: Uuid,
    pub conversation_id: String,
    pub excerpt: String,
    pub received_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// A proactive agent (criteria type) and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Due Invoice Reminders"))]
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// Action types sent without review when confidence reaches the threshold.
    pub auto_execute: Vec<ActionType>,
    #[cfg_attr(feature = "openapi", schema(example = 90, minimum = 0, maximum = 100))]
    pub auto_execute_min_confidence: u8,
    /// The time to expire of its actions, when a proposal gives none.
    #[cfg_attr(feature = "openapi", schema(example = 259200))]
    pub default_expiry_seconds: i64,
    pub updated_at: DateTime<Utc>,
    /// Types it sent alone until what followed paused them, with why; enabling a type again
    /// clears its pause.
    #[serde(default)]
    pub autonomy_paused: Vec<AutonomyPause>,
}

/// An action type an agent no longer sends alone, paused by what followed (see
/// `crate::autonomy::lost_autonomy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutonomyPause {
    pub action_type: crate::ActionType,
    pub paused_at: chrono::DateTime<chrono::Utc>,
    pub why: String,
}

crate::action::wire_enum! {
    /// Where an action set aside for audit stands (see `LocationSettings::audit_share`).
    pub enum AuditState {
        /// Sent alone by its agent and waiting for a person to check it.
        Pending => ("pending", "To check"),
        /// A person found it right.
        Ok => ("ok", "Looks right"),
        /// A person found something wrong with it.
        Flagged => ("flagged", "Flagged"),
    }
}

/// A person's check of an action set aside for audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"verdict": "flagged", "note": "Too pushy for a first reminder."})))]
#[serde(deny_unknown_fields)]
pub struct AuditCheck {
    /// `ok` or `flagged`.
    pub verdict: AuditState,
    /// What was wrong (or right); at most 2,000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: Option<String>,
}

/// Changes to an agent's settings; fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"auto_execute": ["draft_message"], "auto_execute_min_confidence": 92})))]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub auto_execute: Option<Vec<ActionType>>,
    #[serde(default)]
    pub auto_execute_min_confidence: Option<i64>,
    /// 1 hour to 90 days.
    #[serde(default)]
    pub default_expiry_seconds: Option<i64>,
}

/// A customer with their history and proactive actions (`GET /api/v1/customers/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub profile: CustomerProfile,
    /// Newest first.
    pub history: Vec<HistoryEntry>,
    /// The proactive actions proposed for this customer, newest first.
    pub actions: Vec<ActionListItem>,
}

/// One change of an action, as the live event stream announces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionChanged {
    pub id: Uuid,
    pub status: ActionStatus,
    pub version: i32,
}
