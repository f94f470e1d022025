//! The location's review safeguards: the contact cap and the confidence floor.

use inbox_domain::safeguards::LocationSettings;

use super::{Context, ServiceError};
use crate::db;

/// The caller's location's settings.
pub fn get(ctx: &Context<'_>) -> Result<LocationSettings, ServiceError> {
    Ok(db::locations::settings_of(ctx.location)?)
}

/// Replaces the caller's location's settings; they hold for every decision from now on.
pub async fn replace(
    ctx: &Context<'_>,
    settings: &LocationSettings,
) -> Result<LocationSettings, ServiceError> {
    settings.validate().map_err(ServiceError::Invalid)?;
    db::locations::update_settings(ctx.db, ctx.location.id, settings).await?;
    // What this replica computed under the old settings (an action's warnings) is not reused.
    ctx.bus.touch(ctx.location.id);
    Ok(*settings)
}
