//! What followed a sent action: outcomes that integrations report and customers' replies, each
//! written with the history entry that records it.

use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, TransactionTrait,
};

use super::{
    actions::insert_history,
    entities::{action_events, action_outcomes, action_responses},
    idempotency::ClaimMark,
};

/// Writes a follow-up row and its history entry in one transaction.
async fn insert_with_event<E>(
    db: &DatabaseConnection,
    row: E::Model,
    event: action_events::Model,
    claim: Option<ClaimMark>,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let txn = db.begin().await?;
    E::insert(row.into_active_model()).exec(&txn).await?;
    if let Some(claim) = claim {
        claim.write(&txn, Some(event.action_id)).await?;
    }
    insert_history(&txn, vec![event]).await?;
    txn.commit().await
}

/// Writes an outcome and its history entry.
pub async fn insert_outcome(
    db: &DatabaseConnection,
    outcome: action_outcomes::Model,
    event: action_events::Model,
    claim: Option<ClaimMark>,
) -> Result<(), DbErr> {
    insert_with_event::<action_outcomes::Entity>(db, outcome, event, claim).await
}

/// Writes a linked reply and its history entry.
pub async fn insert_response(
    db: &DatabaseConnection,
    response: action_responses::Model,
    event: action_events::Model,
    claim: Option<ClaimMark>,
) -> Result<(), DbErr> {
    insert_with_event::<action_responses::Entity>(db, response, event, claim).await
}
