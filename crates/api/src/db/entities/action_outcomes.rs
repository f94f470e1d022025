use inbox_domain::dto::OutcomeKind;
use sea_orm::entity::prelude::*;

/// What followed a sent action, as an integration reported it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "action_outcomes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub action_id: Uuid,
    pub kind: OutcomeKind,
    pub occurred_at: DateTimeUtc,
    pub data: Json,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
