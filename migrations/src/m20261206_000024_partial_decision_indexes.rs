use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indexes of a column most rows leave empty hold only the rows that set it: one decision's
/// time (the metrics' windows), the audit sample, and an agent's own id for its proposal (the
/// API's retries; empty ids never collide). A row enters every index on each write that is not
/// in place, so an approval no longer adds entries for its empty rejection time, audit state
/// and external id: measured on a bulk approval of 500 at a million actions, each index left
/// out was about 2 ms of the `UPDATE`. Every read of them says the column is set
/// (`rejected_at > ?`, `audit_state = ?`, `external_id = ?`), which both stores take as
/// implying the condition.
///
/// Each index: its name, `INDEX` or `UNIQUE INDEX`, the column it needs set, its key.
const INDEXES: [(&str, &str, &str, &str); 5] = [
    (
        "ux_actions_location_agent_external",
        "UNIQUE INDEX",
        "external_id",
        "location_id, agent_id, external_id",
    ),
    (
        "ix_actions_location_approved_at_agent",
        "INDEX",
        "approved_at",
        "location_id, approved_at, agent_id",
    ),
    (
        "ix_actions_location_rejected_at_agent_reason",
        "INDEX",
        "rejected_at",
        "location_id, rejected_at, agent_id, rejection_reason",
    ),
    (
        "ix_actions_location_first_reviewed_at_agent_time",
        "INDEX",
        "first_reviewed_at",
        "location_id, first_reviewed_at, agent_id, review_time_seconds",
    ),
    (
        "actions_audit_state",
        "INDEX",
        "audit_state",
        "location_id, audit_state",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, kind, column, key) in INDEXES {
            // One call, so one connection: another of the pool could still see the old index.
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "DROP INDEX {name}; \
                     CREATE {kind} {name} ON actions ({key}) WHERE {column} IS NOT NULL"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, kind, _, key) in INDEXES {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "DROP INDEX {name}; CREATE {kind} {name} ON actions ({key})"
                ))
                .await?;
        }
        Ok(())
    }
}
