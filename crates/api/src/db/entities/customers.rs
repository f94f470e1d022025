use inbox_domain::CustomerType;
use sea_orm::entity::prelude::*;

/// A member, contact or lead of a location.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub full_name: String,
    pub company: Option<String>,
    pub customer_type: CustomerType,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub plan: Option<String>,
    pub photo_url: Option<String>,
    /// `full_name` and `company` folded by [`crate::db::search_key`].
    pub search_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::actions::Entity")]
    Actions,
}

impl Related<super::actions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
