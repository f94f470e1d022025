//! Locations (tenants): finding one by slug, adding one.

use chrono::{DateTime, Utc};
use inbox_domain::{
    safeguards::{ContactCap, LocationSettings},
    Confidence,
};
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use super::StoreError;
use crate::db::entities::locations;

/// The location with this id.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<locations::Model>, DbErr> {
    locations::Entity::find_by_id(id).one(db).await
}

/// The location with this slug.
pub async fn find_by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<locations::Model, StoreError> {
    locations::Entity::find()
        .filter(locations::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("No location `{slug}`.")))
}

/// A location (tenant) to add.
#[derive(Debug, Clone, clap::Args)]
pub struct NewLocation {
    /// Lower-case letters, digits and hyphens, e.g. `northside`.
    #[arg(long)]
    pub slug: String,
    /// The business's name, as drafts say it (`{{location_name}}`).
    #[arg(long)]
    pub name: String,
    /// The default From address of emails.
    #[arg(long, default_value = "hello@example.com")]
    pub sending_address: String,
    /// The signature appended to emails.
    #[arg(long, default_value = "")]
    pub signature: String,
    /// An IANA time zone, for business hours.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
}

/// Why a location cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum NewLocationError {
    #[error("the slug must be 1 to 64 lower-case letters, digits or hyphens")]
    Slug,
    #[error("`{0}` is not an IANA time zone")]
    TimeZone(String),
    #[error("a location `{0}` already exists")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds a location with no business-hours restriction.
pub async fn create(
    db: &DatabaseConnection,
    new: NewLocation,
    now: DateTime<Utc>,
) -> Result<locations::Model, NewLocationError> {
    let slug_ok = !new.slug.is_empty()
        && new.slug.len() <= 64
        && new
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        return Err(NewLocationError::Slug);
    }
    if new.time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(NewLocationError::TimeZone(new.time_zone));
    }
    if find_by_slug(db, &new.slug).await.is_ok() {
        return Err(NewLocationError::Exists(new.slug));
    }
    let location = locations::Model {
        id: Uuid::now_v7(),
        slug: new.slug,
        name: new.name,
        sending_address: new.sending_address,
        signature: new.signature,
        time_zone: new.time_zone,
        business_hours: serde_json::json!({}),
        created_at: now,
        contact_cap_messages: None,
        contact_cap_days: None,
        review_confidence_floor: None,
        audit_share: None,
        slack_webhook_url: None,
    };
    locations::Entity::insert(location.clone().into_active_model())
        .exec(db)
        .await
        .map_err(StoreError::from)?;
    Ok(location)
}

/// The location's review safeguards as stored (a half-set cap, which only a hand edit can leave,
/// counts as none).
pub fn settings_of(location: &locations::Model) -> Result<LocationSettings, StoreError> {
    let contact_cap = match (location.contact_cap_messages, location.contact_cap_days) {
        (Some(messages), Some(days)) => Some(ContactCap {
            max_messages: u32::try_from(messages).unwrap_or_default(),
            window_days: u32::try_from(days).unwrap_or_default(),
        }),
        _ => None,
    };
    let review_confidence_floor = location
        .review_confidence_floor
        .map(|floor| Confidence::try_from(i64::from(floor)))
        .transpose()
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    Ok(LocationSettings {
        contact_cap,
        review_confidence_floor,
        audit_share: location
            .audit_share
            .and_then(|share| u8::try_from(share).ok())
            .filter(|share| *share <= 100),
        slack_webhook_url: location.slack_webhook_url.clone(),
    })
}

/// Replaces the location's review safeguards.
pub async fn update_settings(
    db: &DatabaseConnection,
    location_id: Uuid,
    settings: &LocationSettings,
) -> Result<(), DbErr> {
    let cap = settings.contact_cap;
    let as_column = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
    locations::Entity::update_many()
        .col_expr(
            locations::Column::ContactCapMessages,
            Expr::value(cap.map(|cap| as_column(cap.max_messages))),
        )
        .col_expr(
            locations::Column::ContactCapDays,
            Expr::value(cap.map(|cap| as_column(cap.window_days))),
        )
        .col_expr(
            locations::Column::AuditShare,
            Expr::value(settings.audit_share.map(i32::from)),
        )
        .col_expr(
            locations::Column::SlackWebhookUrl,
            Expr::value(settings.slack_webhook_url.clone()),
        )
        .col_expr(
            locations::Column::ReviewConfidenceFloor,
            Expr::value(
                settings
                    .review_confidence_floor
                    .map(|floor| i32::from(floor.percent())),
            ),
        )
        .filter(locations::Column::Id.eq(location_id))
        .exec(db)
        .await?;
    Ok(())
}
