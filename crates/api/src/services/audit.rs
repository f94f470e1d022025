//! Audit sampling: a share of what trusted agents send alone is set aside (as it is sent), and a
//! person checks each: it looks right, or it is flagged with what was wrong.

use inbox_domain::{
    dto::{ActionDetail, ActionListItem, AuditCheck, AuditState},
    problem::FieldErrors,
    EventKind,
};
use serde_json::json;
use uuid::Uuid;

use super::{change::load, Context, ServiceError};
use crate::db::{self, actions::NewEvent};

/// The most actions the Audit view lists at once.
const QUEUE_LIMIT: u64 = 100;
/// The longest note of a check.
const MAX_NOTE_CHARS: usize = 2_000;

/// What waits for a person to check, the latest sent first.
pub async fn queue(ctx: &Context<'_>) -> Result<Vec<ActionListItem>, ServiceError> {
    Ok(db::actions::list::audit_queue(ctx.db, ctx.location, QUEUE_LIMIT, ctx.now).await?)
}

/// A person's check of action `id`.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn check(
    ctx: &Context<'_>,
    id: Uuid,
    request: &AuditCheck,
) -> Result<ActionDetail, ServiceError> {
    let mut errors = FieldErrors::default();
    if request.verdict == AuditState::Pending {
        errors.add("verdict", "must be ok or flagged");
    }
    errors.check_len("note", request.note.as_deref(), MAX_NOTE_CHARS);
    errors.finish(()).map_err(ServiceError::Invalid)?;
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|note| !note.is_empty())
        .map(str::to_owned);
    let row = load(ctx.db, ctx.location.id, id).await?;
    let not_waiting =
        || ServiceError::WrongState("This action is not waiting for an audit check.".to_owned());
    if row.audit_state != Some(AuditState::Pending) {
        return Err(not_waiting());
    }
    let entry = NewEvent {
        action: &row,
        kind: EventKind::Audited,
        from: None,
        to: None,
        version: row.version,
        actor: &ctx.actor.0,
        at: ctx.now,
        data: json!({ "verdict": request.verdict, "note": note }),
    }
    .into_row();
    if !db::actions::record_audit(ctx.db, &row, request.verdict, note, entry).await? {
        return Err(not_waiting());
    }
    ctx.bus.touch(ctx.location.id);
    Ok(db::actions::detail::get(ctx.db, ctx.location, id, ctx.now).await?)
}
