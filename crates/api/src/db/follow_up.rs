//! What followed a sent action: outcomes that integrations report and customers' replies, each
//! written with the history entry that records it.

use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, TransactionTrait,
};

use super::entities::{action_events, action_outcomes, action_responses};

/// Writes a follow-up row and its history entry in one transaction.
async fn insert_with_event<E>(
    db: &DatabaseConnection,
    row: E::Model,
    event: action_events::Model,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let txn = db.begin().await?;
    E::insert(row.into_active_model()).exec(&txn).await?;
    action_events::Entity::insert(event.into_active_model())
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Writes an outcome and its history entry.
pub async fn insert_outcome(
    db: &DatabaseConnection,
    outcome: action_outcomes::Model,
    event: action_events::Model,
) -> Result<(), DbErr> {
    insert_with_event::<action_outcomes::Entity>(db, outcome, event).await
}

/// Writes a linked reply and its history entry.
pub async fn insert_response(
    db: &DatabaseConnection,
    response: action_responses::Model,
    event: action_events::Model,
) -> Result<(), DbErr> {
    insert_with_event::<action_responses::Entity>(db, response, event).await
}
