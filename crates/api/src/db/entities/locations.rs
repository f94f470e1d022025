use sea_orm::entity::prelude::*;

/// A location (tenant): one business whose actions are reviewed together.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// The default From address of emails.
    pub sending_address: String,
    /// The email signature appended to every email.
    pub signature: String,
    /// IANA time zone name, e.g. `Europe/London`.
    pub time_zone: String,
    /// Opening hours per weekday: `{"mon": ["09:00", "18:00"], ...}`.
    pub business_hours: Json,
    pub created_at: DateTimeUtc,
    /// The contact cap: at most this many messages to one customer...
    pub contact_cap_messages: Option<i32>,
    /// ...in any this many days (both set, or neither).
    pub contact_cap_days: Option<i32>,
    /// The confidence (percent) under which an action is pointed out before approval.
    pub review_confidence_floor: Option<i32>,
    /// The percentage of what trusted agents send alone set aside for a person to check.
    pub audit_share: Option<i32>,
    /// A Slack-compatible incoming webhook for critical and expiring actions.
    pub slack_webhook_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The location's time zone; UTC if the stored name is not one (it is checked when set).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }
}
