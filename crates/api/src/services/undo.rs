//! Undo send: a reviewer takes an approval back while its message still waits to leave.

use inbox_domain::{dto::ActionDetail, LifecycleEvent, TransitionError};
use uuid::Uuid;

use super::{
    change::{conflict, load, transition_change, write_one},
    Context, ServiceError,
};
use crate::db::{actions::lifecycle_of, deliveries};

/// Returns the action to `pending` and cancels its delivery, if the delivery has not left.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn undo(ctx: &Context<'_>, id: Uuid) -> Result<ActionDetail, ServiceError> {
    let now = ctx.now;
    let row = load(ctx.db, ctx.location.id, id).await?;
    let transition = lifecycle_of(&row)
        .apply(LifecycleEvent::Undo, now)
        .map_err(|error| match error {
            TransitionError::NotAllowed { status, .. } => conflict(
                &row,
                now,
                format!("Only an approval can be undone; this action is {status}."),
            ),
            other => conflict(&row, now, format!("{other}.")),
        })?;
    let Some(delivery) = deliveries::waiting_for(ctx.db, ctx.location.id, id, now).await? else {
        return Err(conflict(
            &row,
            now,
            "It was sent already: the undo window has passed.".to_owned(),
        ));
    };
    let mut change = transition_change(&row, &transition, None, None, &ctx.actor, now);
    change.cancels = Some(delivery.id);
    write_one(ctx, &change).await.map_err(|error| match error {
        ServiceError::Conflict {
            status, version, ..
        } => ServiceError::Conflict {
            detail: "It was sent, or changed by someone else, first.".to_owned(),
            status,
            version,
        },
        other => other,
    })
}
