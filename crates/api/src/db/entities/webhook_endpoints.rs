use sea_orm::entity::prelude::*;

/// An integration's endpoint for outbound webhooks.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub url: String,
    /// The event names it is sent, as a JSON array.
    pub events: Json,
    pub description: Option<String>,
    /// `whsec_` and the base64 signing key.
    pub secret: String,
    pub created_at: DateTimeUtc,
    /// Set when an admin removed it: it is sent nothing more.
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
