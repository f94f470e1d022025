use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Requests counted per rate-limited key and minute, in the database so that every replica
/// counts against one limit.
#[derive(DeriveIden, Clone, Copy)]
enum RateWindows {
    Table,
    /// What is limited and for whom, as `propose:<actor>` or `sign_in:email:<address>`.
    Key,
    /// The minute since the Unix epoch.
    Minute,
    Count,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateWindows::Table)
                    .col(string(RateWindows::Key))
                    .col(big_integer(RateWindows::Minute))
                    .col(integer(RateWindows::Count))
                    .primary_key(
                        Index::create()
                            .col(RateWindows::Key)
                            .col(RateWindows::Minute),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateWindows::Table).to_owned())
            .await
    }
}
