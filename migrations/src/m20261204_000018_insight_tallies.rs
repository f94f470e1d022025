use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What each day (in the location's time zone) saw, per agent and action type: one number per
/// tally (`proposed`, `rejected:poor_timing`, `review_seconds`, ...), added to in the transaction
/// of every history entry, so that Insights read a period instead of counting it.
#[derive(DeriveIden, Clone, Copy)]
enum InsightTallies {
    Table,
    LocationId,
    Day,
    AgentId,
    ActionType,
    Tally,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InsightTallies::Table)
                    .col(uuid(InsightTallies::LocationId))
                    .col(date(InsightTallies::Day))
                    .col(uuid(InsightTallies::AgentId))
                    .col(string(InsightTallies::ActionType))
                    .col(string(InsightTallies::Tally))
                    .col(big_integer(InsightTallies::Value))
                    .primary_key(
                        Index::create()
                            .col(InsightTallies::LocationId)
                            .col(InsightTallies::Day)
                            .col(InsightTallies::AgentId)
                            .col(InsightTallies::ActionType)
                            .col(InsightTallies::Tally),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InsightTallies::Table).to_owned())
            .await
    }
}
