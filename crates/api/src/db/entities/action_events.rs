use inbox_domain::{dto::ActionEvent, ActionStatus, EventKind};
use sea_orm::entity::prelude::*;

/// One entry of an action's append-only history.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "action_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub action_id: Uuid,
    pub kind: EventKind,
    pub from_status: Option<ActionStatus>,
    pub to_status: Option<ActionStatus>,
    pub actor: String,
    pub occurred_at: DateTimeUtc,
    pub version: i32,
    pub data: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The entry as the API shows it, its actor named as `names` says.
    pub fn view(self, names: &std::collections::HashMap<String, String>) -> ActionEvent {
        ActionEvent {
            id: self.id,
            kind: self.kind,
            from_status: self.from_status,
            to_status: self.to_status,
            actor_name: names.get(&self.actor).cloned(),
            actor: self.actor,
            occurred_at: self.occurred_at,
            version: self.version,
            data: self.data,
        }
    }
}
