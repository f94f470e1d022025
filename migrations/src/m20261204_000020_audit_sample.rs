use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Audit sampling: the share of what trusted agents send alone that a location sets aside for a
/// person to check, and where each set-aside action's check stands (with the checker's note).
#[derive(DeriveIden, Clone, Copy)]
enum Locations {
    Table,
    AuditShare,
}

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    LocationId,
    AuditState,
    AuditNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Locations::Table)
                    .add_column(integer_null(Locations::AuditShare))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        for column in [Actions::AuditState, Actions::AuditNote] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Actions::Table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        // The Audit view reads the few set aside, never the location's whole history.
        manager
            .create_index(
                Index::create()
                    .name("actions_audit_state")
                    .table(Actions::Table)
                    .col(Actions::LocationId)
                    .col(Actions::AuditState)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("actions_audit_state")
                    .table(Actions::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Actions::AuditState, Actions::AuditNote] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Actions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Locations::Table)
                    .drop_column(Locations::AuditShare)
                    .to_owned(),
            )
            .await
    }
}
