//! Agent settings: who may propose, and who may act without review.

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    dto::{Agent, UpdateAgent},
    problem::FieldErrors,
    Confidence,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::ServiceError;
use crate::db::agents::{self, AgentChanges};

/// Every agent of the location, by name.
pub async fn list(db: &DatabaseConnection, location_id: Uuid) -> Result<Vec<Agent>, ServiceError> {
    Ok(agents::list(db, location_id).await?)
}

/// One agent.
pub async fn get(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
) -> Result<Agent, ServiceError> {
    let row = agents::find(db, location_id, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("No agent {id} in this location.")))?;
    Ok(agents::view(row)?)
}

/// Checks the requested settings.
fn changes(request: &UpdateAgent) -> Result<AgentChanges, ServiceError> {
    let mut errors = FieldErrors::default();
    let auto_execute_min_confidence = request.auto_execute_min_confidence.and_then(|threshold| {
        Confidence::try_from(threshold)
            .map_err(|error| errors.add("auto_execute_min_confidence", error))
            .ok()
    });
    let expiry_range =
        Duration::hours(1).num_seconds()..=inbox_domain::lifecycle::LONGEST_EXPIRY.num_seconds();
    if request
        .default_expiry_seconds
        .is_some_and(|seconds| !expiry_range.contains(&seconds))
    {
        errors.add(
            "default_expiry_seconds",
            "must be from 3600 (1 hour) to 7776000 (90 days)",
        );
    }
    let auto_execute = request.auto_execute.clone().map(|mut types| {
        types.sort();
        types.dedup();
        types
    });
    errors
        .finish(AgentChanges {
            enabled: request.enabled,
            auto_execute,
            auto_execute_min_confidence,
            default_expiry_seconds: request.default_expiry_seconds,
            autonomy_paused: None,
        })
        .map_err(ServiceError::Invalid)
}

/// Changes an agent's settings.
pub async fn update(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
    request: &UpdateAgent,
    now: DateTime<Utc>,
) -> Result<Agent, ServiceError> {
    let before = get(db, location_id, id).await?;
    let mut changes = changes(request)?;
    // A type enabled again is no longer paused.
    if let Some(types) = &changes.auto_execute {
        let kept: Vec<_> = before
            .autonomy_paused
            .iter()
            .filter(|pause| !types.contains(&pause.action_type))
            .cloned()
            .collect();
        if kept.len() != before.autonomy_paused.len() {
            changes.autonomy_paused = Some(kept);
        }
    }
    agents::update(db, location_id, id, changes, now).await?;
    get(db, location_id, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_all_reported() {
        let request = UpdateAgent {
            auto_execute_min_confidence: Some(120),
            default_expiry_seconds: Some(60),
            ..UpdateAgent::default()
        };
        let Err(ServiceError::Invalid(errors)) = changes(&request) else {
            panic!("expected both fields refused");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["auto_execute_min_confidence", "default_expiry_seconds"]
        );
    }

    #[test]
    fn auto_execute_types_are_kept_once_each() {
        use inbox_domain::ActionType::{DraftMessage, InternalNote};
        let request = UpdateAgent {
            auto_execute: Some(vec![InternalNote, DraftMessage, InternalNote]),
            ..UpdateAgent::default()
        };
        let changes = changes(&request).expect("valid");
        assert_eq!(changes.auto_execute, Some(vec![DraftMessage, InternalNote]));
    }
}
