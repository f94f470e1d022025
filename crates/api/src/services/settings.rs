//! The location's settings: the review safeguards (contact cap, confidence floor, audit share)
//! and the team channel's webhook.

use inbox_domain::safeguards::LocationSettings;

use super::{Context, ServiceError};
use crate::db;

/// The caller's location's settings; the team channel's webhook URL, a credential, only as its
/// origin unless `full` (for admins, who may change it).
pub fn get(ctx: &Context<'_>, full: bool) -> Result<LocationSettings, ServiceError> {
    let mut settings = db::locations::settings_of(ctx.location)?;
    if !full {
        settings.slack_webhook_url = settings.slack_webhook_url.map(|url| masked(&url));
    }
    Ok(settings)
}

/// `url` with everything after its host hidden.
fn masked(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let host_end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |at| after_scheme + at);
    format!("{}/…", &url[..host_end])
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
    Ok(settings.clone())
}
