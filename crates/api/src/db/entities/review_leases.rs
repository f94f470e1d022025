use sea_orm::entity::prelude::*;

/// Who is reviewing an action, until when (see `inbox_domain::safeguards`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub action_id: Uuid,
    pub location_id: Uuid,
    pub reviewer_id: String,
    pub reviewer_name: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
