//! Drafts: saving a reviewer's edits without deciding, and previewing exactly what the customer
//! would receive.

use inbox_domain::{
    dto::{ActionDetail, EditDraft, Preview, PreviewDraft},
    review::{check_body_bounds, DraftChanges},
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    change::{check_version, conflict, edit_change, load, sanitize_html, write_one},
    render::render,
    Context, ServiceError,
};
use crate::db::{self, actions::lifecycle_of, entities::locations, StoreError};

/// Saves draft edits without deciding.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn edit_draft(
    ctx: &Context<'_>,
    id: Uuid,
    request: &EditDraft,
) -> Result<ActionDetail, ServiceError> {
    let now = ctx.now;
    let row = load(ctx.db, ctx.location.id, id).await?;
    check_version(&row, Some(request.expected_version), now, "edit again")?;
    let lifecycle = lifecycle_of(&row);
    let status = lifecycle.status_at(now);
    if !status.is_editable() {
        return Err(conflict(
            &row,
            now,
            format!("A {status} action's draft can no longer change."),
        ));
    }
    let mut changes = DraftChanges::from(request);
    check_body_bounds(changes.body.as_deref()).map_err(ServiceError::Invalid)?;
    // Sanitised first, so a body that is only markup counts as blank.
    changes.body = changes.body.map(|body| sanitize_html(&body));
    changes
        .validate(row.action_type)
        .map_err(ServiceError::Invalid)?;
    if changes.is_empty() {
        return Err(ServiceError::invalid(
            "body",
            "nothing to change: give subject, body or script",
        ));
    }
    let change = edit_change(&row, &lifecycle, &changes, &ctx.actor, now);
    write_one(ctx, &change).await
}

/// Exactly what the customer would receive, from the stored draft or the one given. The
/// rendering (sanitising HTML, filling variables) runs on a blocking thread: whoever may read
/// actions may ask for it, and it must never hold up the threads that answer requests.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn preview(
    db: &DatabaseConnection,
    location: &locations::Model,
    id: Uuid,
    draft: PreviewDraft,
) -> Result<Preview, ServiceError> {
    draft.validate().map_err(ServiceError::Invalid)?;
    let row = load(db, location.id, id).await?;
    let customer = db::actions::customer_of(db, &row).await?;
    let location = location.clone();
    tokio::task::spawn_blocking(move || render(&row, &customer, &location, &draft))
        .await
        .map_err(|error| StoreError::Corrupt(format!("rendering the preview failed: {error}")))?
}
