//! A reviewer's own notification settings: what they are told and how, what they were sent,
//! and revoking every one-click link they hold.

use inbox_domain::notices::{Notice, NotificationPreferences};
use uuid::Uuid;

use super::{decision_links::new_secret, Context, ServiceError};
use crate::db;

/// How many of their notices a reviewer sees.
const NOTICES_SHOWN: u64 = 50;

async fn reviewer(
    ctx: &Context<'_>,
    user_id: Uuid,
) -> Result<db::entities::users::Model, ServiceError> {
    db::notices::user(ctx.db, user_id)
        .await?
        .filter(|user| user.location_id == ctx.location.id)
        .ok_or_else(|| ServiceError::NotFound("No such reviewer.".to_owned()))
}

pub async fn preferences(
    ctx: &Context<'_>,
    user_id: Uuid,
) -> Result<NotificationPreferences, ServiceError> {
    Ok(db::notices::preferences_of(&reviewer(ctx, user_id).await?)?)
}

/// Replaces the reviewer's preferences; the next run of the notices follows them.
pub async fn replace_preferences(
    ctx: &Context<'_>,
    user_id: Uuid,
    preferences: &NotificationPreferences,
) -> Result<NotificationPreferences, ServiceError> {
    preferences.validate().map_err(ServiceError::Invalid)?;
    reviewer(ctx, user_id).await?;
    db::notices::set_preferences(ctx.db, user_id, preferences).await?;
    Ok(*preferences)
}

/// The newest notices sent to the reviewer (or kept in the built-in outbox for them).
pub async fn notices(ctx: &Context<'_>, user_id: Uuid) -> Result<Vec<Notice>, ServiceError> {
    Ok(db::notices::of_reviewer(ctx.db, user_id, NOTICES_SHOWN)
        .await?
        .into_iter()
        .map(|row| Notice {
            id: row.id,
            kind: row.kind,
            subject: row.subject,
            body_text: row.body_text,
            state: row.state,
            created_at: row.created_at,
            sent_at: row.sent_at,
        })
        .collect())
}

/// Revokes every one-click link the reviewer was sent: their links are signed with a new key.
pub async fn revoke_links(ctx: &Context<'_>, user_id: Uuid) -> Result<(), ServiceError> {
    reviewer(ctx, user_id).await?;
    db::notices::replace_link_secret(ctx.db, user_id, new_secret()).await?;
    tracing::info!(%user_id, "one-click links revoked");
    Ok(())
}
