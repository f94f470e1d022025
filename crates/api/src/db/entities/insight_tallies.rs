use inbox_domain::ActionType;
use sea_orm::entity::prelude::*;

/// One tally of one day of a location, per agent and action type (see
/// `inbox_domain::insights::Tally`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "insight_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    /// In the location's time zone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub agent_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub action_type: ActionType,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tally: String,
    pub value: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
