//! Undo send: a reviewer takes an approval back while its message still waits to leave.

use chrono::{DateTime, Utc};
use inbox_domain::{dto::ActionDetail, LifecycleEvent, TransitionError};
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

/// The change that returns `row` to `pending` and cancels `waiting`, its delivery that has not
/// left yet; a 409 when it is not an approval, or its message is gone.
pub fn prepare_undo(
    row: &actions::Model,
    waiting: Option<&Delivery>,
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
    let Some(delivery) = waiting else {
        return Err(conflict(
            row,
            now,
            "It was sent already: the undo window has passed.".to_owned(),
        ));
    };
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
            detail: "It was sent, or changed by someone else, first.".to_owned(),
            status,
            version,
        },
        other => other,
    }
}

/// Returns the action to `pending` and cancels its delivery, if the delivery has not left.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn undo(ctx: &Context<'_>, id: Uuid) -> Result<ActionDetail, ServiceError> {
    let row = load(ctx.db, ctx.location.id, id).await?;
    let waiting = deliveries::waiting_for(ctx.db, ctx.location.id, &[id], ctx.now).await?;
    let change = prepare_undo(&row, waiting.get(&id), &ctx.actor, ctx.now)?;
    write_one(ctx, &change).await.map_err(lost_race)
}
