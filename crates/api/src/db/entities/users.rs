use inbox_domain::auth::Role;
use sea_orm::entity::prelude::*;

/// A reviewer or admin of a location.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTimeUtc,
    /// `inbox_domain::notices::NotificationPreferences` as JSON; none until first set.
    pub notification_preferences: Option<String>,
    /// The key this reviewer's one-click decision links are signed with (hex); a new one
    /// revokes every link signed before.
    pub link_secret: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
