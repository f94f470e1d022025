//! Undo send: a reviewer takes an approval back while its message still waits to leave.

use chrono::{DateTime, Utc};
use inbox_domain::{
    delivery::{check_undoable, NotUndoable},
    dto::ActionDetail,
    LifecycleEvent, TransitionError,
};
use uuid::Uuid;

use super::{
    change::{conflict, load, transition_change, write_one},
    Actor, Context, ServiceError,
};
use crate::db::{
    actions::{lifecycle_of, PreparedChange},
    deliveries,
    entities::{actions, deliveries::Model as Delivery},
};

/// The change that returns `row` to `pending` and cancels `live`, its delivery; a 409 when it
/// is not an approval, or its message can no longer be taken back (see [`check_undoable`]).
pub fn prepare_undo(
    row: &actions::Model,
    live: Option<&Delivery>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<PreparedChange, ServiceError> {
    let transition =
        lifecycle_of(row)
            .apply(LifecycleEvent::Undo, now)
            .map_err(|error| match error {
                TransitionError::NotAllowed { status, .. } => conflict(
                    row,
                    now,
                    format!("Only an approval can be undone; this action is {status}."),
                ),
                other => conflict(row, now, format!("{other}.")),
            })?;
    let delivery = live
        .ok_or(NotUndoable::Sent)
        .and_then(|delivery| {
            check_undoable(delivery.state, delivery.attempts, delivery.deliver_at, now)
                .map(|()| delivery)
        })
        .map_err(|why| conflict(row, now, why.to_string()))?;
    let mut change = transition_change(row, &transition, None, None, actor, now);
    change.cancels = Some(delivery.id);
    Ok(change)
}

/// Why an undo that was prepared in time could not be written.
pub fn lost_race(error: ServiceError) -> ServiceError {
    match error {
        ServiceError::Conflict {
            status, version, ..
        } => ServiceError::Conflict {
            detail: "Its message was sent (or its first attempt began), or someone else changed it, first."
                .to_owned(),
            status,
            version,
        },
        other => other,
    }
}

/// Returns the action to `pending` and cancels its delivery, if it was never tried and its
/// undo window is still open.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn undo(ctx: &Context<'_>, id: Uuid) -> Result<ActionDetail, ServiceError> {
    let row = load(ctx.db, ctx.location.id, id).await?;
    let live = deliveries::live_for(ctx.db, ctx.location.id, &[id]).await?;
    let change = prepare_undo(&row, live.get(&id), &ctx.actor, ctx.now)?;
    write_one(ctx, &change).await.map_err(lost_race)
}
