use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An approval's insight tally says how much the draft was edited, so it reads the action's
/// earlier edits. This index holds only the history entries that can carry an edit, so for the
/// usual action, never edited, the read finds nothing in the index and reads no history row.
/// Measured on a bulk approval of 500 at a million actions on PostgreSQL, the read fell from
/// 12.5 ms (every action's history entries fetched to be filtered) to under 4 ms, cache cold.
const NAME: &str = "ix_action_events_draft_edits";

/// The rows the index holds; the read repeats this text so that the planner can use it. Not
/// `kind IN (…)`: PostgreSQL writes that back (`pg_get_indexdef`) in a form that reads back as
/// another, so a seed that sets the index aside would not build it again as it was. In
/// parentheses, so that it stays one condition beside the others of a query.
pub const DRAFT_EDITS: &str =
    "(kind = 'edited' OR kind = 'approved' OR kind = 'approved_for_later')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {NAME} ON action_events (location_id, action_id, version) \
                 WHERE {DRAFT_EDITS}"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX IF EXISTS {NAME}"))
            .await?;
        Ok(())
    }
}
