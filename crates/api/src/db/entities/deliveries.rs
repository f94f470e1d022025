use inbox_domain::delivery::{DeliveryChannel, DeliveryState};
use sea_orm::entity::prelude::*;

/// One message an approved or auto-executed action sends, in the delivery outbox.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub action_id: Uuid,
    pub channel: DeliveryChannel,
    pub state: DeliveryState,
    pub deliver_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub recipient: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub body_html: Option<String>,
    pub script: Option<String>,
    pub provider_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
