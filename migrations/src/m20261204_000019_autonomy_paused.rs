use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The action types an agent no longer sends alone because of what followed, with when and why
/// (a JSON array); none until one is paused.
#[derive(DeriveIden, Clone, Copy)]
enum Agents {
    Table,
    AutonomyPaused,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .add_column(json_binary_null(Agents::AutonomyPaused))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .drop_column(Agents::AutonomyPaused)
                    .to_owned(),
            )
            .await
    }
}
