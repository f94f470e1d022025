use inbox_domain::{ActionStatus, ActionType, Channel, Priority, RejectionReason, Tone};
use sea_orm::entity::prelude::*;

/// A proposed action with its draft, its lifecycle and its decisions.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub agent_id: Uuid,
    pub customer_id: Uuid,
    pub external_id: Option<String>,
    pub action_type: ActionType,
    pub channel: Option<Channel>,
    /// The subject, or the script's opening line: what the list shows and sorts by.
    pub headline: String,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub script: Option<String>,
    pub tone: Option<Tone>,
    pub estimated_duration_seconds: Option<i32>,
    pub confidence: i16,
    pub confidence_factors: Json,
    pub priority: Priority,
    pub trigger_summary: String,
    pub trigger_data: Json,
    pub variables: Json,
    pub status: ActionStatus,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub not_before: Option<DateTimeUtc>,
    pub snoozed_until: Option<DateTimeUtc>,
    pub snooze_note: Option<String>,
    pub deferred_until: Option<DateTimeUtc>,
    pub approved_awaiting_send: bool,
    /// Proposed with its agent's own API key: only then may it act alone.
    pub proposed_by_agent_key: bool,
    /// The agent's URL asked just before the message leaves whether its reason still holds.
    pub precondition_url: Option<String>,
    /// Set aside for a person to check (what its agent sent alone), and where that stands.
    pub audit_state: Option<inbox_domain::dto::AuditState>,
    /// The checker's note.
    pub audit_note: Option<String>,
    pub first_reviewed_at: Option<DateTimeUtc>,
    pub review_time_seconds: Option<i64>,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<String>,
    pub rejected_at: Option<DateTimeUtc>,
    pub rejected_by: Option<String>,
    pub rejection_reason: Option<RejectionReason>,
    pub rejection_note: Option<String>,
    pub expired_at: Option<DateTimeUtc>,
    pub auto_executed_at: Option<DateTimeUtc>,
    /// The customer's name when the action was proposed, kept for sorting by customer.
    pub customer_name: String,
    /// The agent's name, kept for sorting by agent.
    pub agent_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::customers::Entity",
        from = "Column::CustomerId",
        to = "super::customers::Column::Id"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::agents::Entity",
        from = "Column::AgentId",
        to = "super::agents::Column::Id"
    )]
    Agent,
}

impl Related<super::customers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::agents::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agent.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
