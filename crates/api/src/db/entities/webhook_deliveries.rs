use inbox_domain::{delivery::DeliveryState, webhook::WebhookEvent};
use sea_orm::entity::prelude::*;

/// One event for one endpoint, in the webhook outbox.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub endpoint_id: Uuid,
    pub event: WebhookEvent,
    pub action_id: Option<Uuid>,
    /// The JSON body, exactly as signed and sent.
    pub payload: String,
    pub state: DeliveryState,
    pub deliver_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub response_status: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
