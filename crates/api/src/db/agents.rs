//! Agents: the location's agents and their auto-execute settings.

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::{Agent, AutonomyPause},
    review::AutoExecutePolicy,
    ActionType, Confidence,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    entities::{action_events, agents},
    parse_json, StoreError,
};

/// The agent's auto-execute settings as the domain reads them.
pub fn auto_execute_policy(agent: &agents::Model) -> Result<AutoExecutePolicy, StoreError> {
    Ok(AutoExecutePolicy {
        action_types: parse_json(agent.auto_execute.clone())?,
        min_confidence: Confidence::try_from(i64::from(agent.auto_execute_min_confidence))
            .map_err(|error| StoreError::Corrupt(error.to_string()))?,
    })
}

/// The types paused by what followed.
pub fn pauses_of(agent: &agents::Model) -> Result<Vec<AutonomyPause>, StoreError> {
    agent
        .autonomy_paused
        .clone()
        .map(parse_json)
        .transpose()
        .map(Option::unwrap_or_default)
}

/// An agent row as the API shows it.
pub fn view(row: agents::Model) -> Result<Agent, StoreError> {
    let policy = auto_execute_policy(&row)?;
    let autonomy_paused = pauses_of(&row)?;
    Ok(Agent {
        id: row.id,
        name: row.name,
        description: row.description,
        enabled: row.enabled,
        auto_execute: policy.action_types,
        auto_execute_min_confidence: policy.min_confidence.percent(),
        default_expiry_seconds: row.default_expiry_seconds,
        updated_at: row.updated_at,
        autonomy_paused,
    })
}

/// Every agent of the location, by name.
pub async fn list(db: &DatabaseConnection, location_id: Uuid) -> Result<Vec<Agent>, StoreError> {
    agents::Entity::find()
        .filter(agents::Column::LocationId.eq(location_id))
        .order_by_asc(agents::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect()
}

/// One agent of the location, if it exists.
pub async fn find(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
) -> Result<Option<agents::Model>, DbErr> {
    agents::Entity::find_by_id(id)
        .filter(agents::Column::LocationId.eq(location_id))
        .one(db)
        .await
}

/// Settings to change; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct AgentChanges {
    pub enabled: Option<bool>,
    pub auto_execute: Option<Vec<ActionType>>,
    pub auto_execute_min_confidence: Option<Confidence>,
    pub default_expiry_seconds: Option<i64>,
    pub autonomy_paused: Option<Vec<AutonomyPause>>,
}

/// Writes an agent's changed settings.
pub async fn update(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
    changes: AgentChanges,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = agents::ActiveModel {
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(enabled) = changes.enabled {
        update.enabled = Set(enabled);
    }
    if let Some(types) = changes.auto_execute {
        update.auto_execute = Set(json!(types));
    }
    if let Some(confidence) = changes.auto_execute_min_confidence {
        update.auto_execute_min_confidence = Set(i16::from(confidence.percent()));
    }
    if let Some(seconds) = changes.default_expiry_seconds {
        update.default_expiry_seconds = Set(seconds);
    }
    if let Some(pauses) = changes.autonomy_paused {
        update.autonomy_paused = Set((!pauses.is_empty()).then(|| json!(pauses)));
    }
    agents::Entity::update_many()
        .set(update)
        .filter(agents::Column::LocationId.eq(location_id))
        .filter(agents::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Pauses the agent's sending a type alone: its remaining `auto_execute` types and its pauses
/// are written with the history entry that says why, in one transaction, unless the agent
/// changed since `agent` was read (then nothing is written: `false`).
pub async fn pause_autonomy(
    db: &DatabaseConnection,
    agent: &agents::Model,
    remaining: &[ActionType],
    pauses: &[AutonomyPause],
    entry: action_events::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let paused = agents::Entity::update_many()
        .set(agents::ActiveModel {
            auto_execute: Set(json!(remaining)),
            autonomy_paused: Set(Some(json!(pauses))),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(agents::Column::LocationId.eq(agent.location_id))
        .filter(agents::Column::Id.eq(agent.id))
        .filter(agents::Column::UpdatedAt.eq(agent.updated_at))
        .exec(&txn)
        .await?;
    if paused.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    super::actions::insert_history(&txn, vec![entry]).await?;
    txn.commit().await?;
    Ok(true)
}
