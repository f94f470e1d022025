use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The two indexes a segment is most often read by (newest first, by confidence) also hold
/// every column the list filters on (PostgreSQL as `INCLUDE`d columns, SQLite appended after
/// the sort key), so that a filtered list counts its matches from the index alone instead of
/// reading each row of the segment for its priority or channel. Measured at a million actions
/// on SQLite, the capped count of the worst filter combination fell from 0.9 s to 2 ms.
const FILTERED: &str =
    "priority, channel, action_type, agent_id, customer_id, expires_at, next_timer_at";

const INDEXES: [(&str, &str, &str); 2] = [
    (
        "ix_actions_location_status_created",
        "created_at",
        "confidence",
    ),
    (
        "ix_actions_location_status_confidence",
        "confidence",
        "created_at",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        for (name, sorted_by, other) in INDEXES {
            let key = format!("location_id, status, {sorted_by}, id");
            let covered = format!("{FILTERED}, {other}");
            let create = match backend {
                DbBackend::Postgres => {
                    format!("CREATE INDEX {name} ON actions ({key}) INCLUDE ({covered})")
                }
                _ => format!("CREATE INDEX {name} ON actions ({key}, {covered})"),
            };
            // One call, so one connection: another of the pool could still see the old index.
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {name}; {create}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, sorted_by, _) in INDEXES {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "DROP INDEX IF EXISTS {name}; \
                     CREATE INDEX {name} ON actions (location_id, status, {sorted_by}, id)"
                ))
                .await?;
        }
        Ok(())
    }
}
