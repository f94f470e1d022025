//! Agent settings: who may propose, and who may act without review.

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    dto::{Agent, UpdateAgent},
    review::FieldIssue,
    Confidence,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::ServiceError;
use crate::{db::entities::agents, services::actions::auto_execute_policy, store::StoreError};

fn view(row: agents::Model) -> Result<Agent, StoreError> {
    let policy = auto_execute_policy(&row)?;
    Ok(Agent {
        id: row.id,
        name: row.name,
        description: row.description,
        enabled: row.enabled,
        auto_execute: policy.action_types,
        auto_execute_min_confidence: policy.min_confidence.percent(),
        default_expiry_seconds: row.default_expiry_seconds,
        updated_at: row.updated_at,
    })
}

/// Every agent of the location, by name.
pub async fn list(db: &DatabaseConnection, location_id: Uuid) -> Result<Vec<Agent>, ServiceError> {
    agents::Entity::find()
        .filter(agents::Column::LocationId.eq(location_id))
        .order_by_asc(agents::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|row| view(row).map_err(ServiceError::from))
        .collect()
}

async fn load(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
) -> Result<agents::Model, ServiceError> {
    agents::Entity::find_by_id(id)
        .filter(agents::Column::LocationId.eq(location_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("No agent {id} in this location.")))
}

/// One agent.
pub async fn get(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
) -> Result<Agent, ServiceError> {
    Ok(view(load(db, location_id, id).await?)?)
}

/// Changes an agent's settings.
pub async fn update(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
    request: &UpdateAgent,
    now: DateTime<Utc>,
) -> Result<Agent, ServiceError> {
    let row = load(db, location_id, id).await?;
    let mut issues = Vec::new();
    let mut update = agents::ActiveModel {
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(enabled) = request.enabled {
        update.enabled = Set(enabled);
    }
    if let Some(types) = &request.auto_execute {
        let mut types = types.clone();
        types.sort();
        types.dedup();
        update.auto_execute = Set(json!(types));
    }
    if let Some(threshold) = request.auto_execute_min_confidence {
        match Confidence::try_from(threshold) {
            Ok(confidence) => {
                update.auto_execute_min_confidence = Set(i16::from(confidence.percent()))
            }
            Err(error) => issues.push(FieldIssue::new(
                "auto_execute_min_confidence",
                error.to_string(),
            )),
        }
    }
    if let Some(seconds) = request.default_expiry_seconds {
        let range = Duration::hours(1).num_seconds()..=Duration::days(90).num_seconds();
        if range.contains(&seconds) {
            update.default_expiry_seconds = Set(seconds);
        } else {
            issues.push(FieldIssue::new(
                "default_expiry_seconds",
                "must be from 3600 (1 hour) to 7776000 (90 days)",
            ));
        }
    }
    if !issues.is_empty() {
        return Err(ServiceError::Invalid(issues));
    }
    agents::Entity::update_many()
        .set(update)
        .filter(agents::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    get(db, location_id, id).await
}
