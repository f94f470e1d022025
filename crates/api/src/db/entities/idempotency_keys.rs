use sea_orm::entity::prelude::*;

/// A request made with an `Idempotency-Key`, and the response it got.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub key: String,
    pub request_hash: String,
    /// `None` while the first request is in progress.
    pub response_status: Option<i16>,
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
    /// Set in the use case's transaction: the request's change is committed, whatever happens
    /// to its response.
    pub committed_at: Option<DateTimeUtc>,
    /// The action the committed request created or changed, when it was one action.
    pub action_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
