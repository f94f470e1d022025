use sea_orm::entity::prelude::*;

/// A proactive agent (criteria type) and its auto-execute settings.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// The action types sent without review, as a JSON array of wire strings.
    pub auto_execute: Json,
    pub auto_execute_min_confidence: i16,
    pub default_expiry_seconds: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The types paused by what followed, as a JSON array of `AutonomyPause`; none until one is.
    pub autonomy_paused: Option<Json>,
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
