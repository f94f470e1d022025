use sea_orm::entity::prelude::*;

/// A one-click decision link that decided: it never decides again.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "used_decision_links")]
pub struct Model {
    /// The link's own id, from its signed token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub nonce: Uuid,
    pub user_id: Uuid,
    pub action_id: Uuid,
    pub used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
