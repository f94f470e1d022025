use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Whether an action was proposed with its agent's own API key. Only such a proposal may act
/// alone (auto-execute), at once or when its hold ends: a key that is not bound to an agent
/// could otherwise name any trusted agent and a confidence of 100 to send without review.
/// Actions proposed before this are taken as not (a held one waits for review on release).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE actions ADD COLUMN proposed_by_agent_key BOOLEAN NOT NULL DEFAULT FALSE",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE actions DROP COLUMN proposed_by_agent_key")
            .await?;
        Ok(())
    }
}
