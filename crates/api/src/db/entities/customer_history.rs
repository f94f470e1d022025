use inbox_domain::dto::HistoryKind;
use sea_orm::entity::prelude::*;

/// One entry of a customer's history: activity, communication, payment or ticket.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub customer_id: Uuid,
    pub kind: HistoryKind,
    pub occurred_at: DateTimeUtc,
    pub summary: String,
    pub data: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
