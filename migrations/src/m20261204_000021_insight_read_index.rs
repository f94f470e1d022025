use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Insights read a period's drawn tallies summed over action types, grouped by day, agent and
/// tally. This index holds exactly those rows (not earned autonomy's evidence, `decided:…` and
/// `after_auto:…`, which is read by agent and type instead) in that order with their values, so
/// the read is one range of the index summed as it streams by: no table rows, no sort.
const NAME: &str = "ix_insight_tallies_drawn";

/// The rows the index holds; the Insights query repeats this text so that the planner can use it.
pub const DRAWN: &str = "tally NOT LIKE 'decided:%' AND tally NOT LIKE 'after_auto:%'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let create = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DbBackend::Postgres => format!(
                "CREATE INDEX {NAME} ON insight_tallies (location_id, day, agent_id, tally) \
                 INCLUDE (value) WHERE {DRAWN}"
            ),
            _ => format!(
                "CREATE INDEX {NAME} ON insight_tallies (location_id, day, agent_id, tally, value) \
                 WHERE {DRAWN}"
            ),
        };
        manager.get_connection().execute_unprepared(&create).await?;
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
