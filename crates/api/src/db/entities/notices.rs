use inbox_domain::{
    delivery::DeliveryState,
    notices::{NoticeChannel, NoticeKind},
};
use sea_orm::entity::prelude::*;

/// One digest, immediate email or team-channel post, in the notices outbox.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    /// The reviewer it is for; none for a team-channel post.
    pub user_id: Option<Uuid>,
    pub channel: NoticeChannel,
    pub kind: NoticeKind,
    /// What makes it go once: the digest's period, or the action a notice is about.
    pub dedup_key: String,
    /// The reviewer's address (a channel post reads the location's webhook when it leaves).
    pub recipient: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub state: DeliveryState,
    pub deliver_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
