use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::timestamptz;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Who is reviewing which action, until when: one row per action, taken over once it has ended.
/// In the database so that every replica sees the same presence.
#[derive(DeriveIden, Clone, Copy)]
enum ReviewLeases {
    Table,
    ActionId,
    LocationId,
    /// `user:<id>` or `key:<id>`.
    ReviewerId,
    ReviewerName,
    ExpiresAt,
}

/// A location's review safeguards: the contact cap (both columns or neither) and the confidence
/// floor, all off until set.
#[derive(DeriveIden, Clone, Copy)]
enum Locations {
    Table,
    ContactCapMessages,
    ContactCapDays,
    ReviewConfidenceFloor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewLeases::Table)
                    .col(pk_uuid(ReviewLeases::ActionId))
                    .col(uuid(ReviewLeases::LocationId))
                    .col(string(ReviewLeases::ReviewerId))
                    .col(string(ReviewLeases::ReviewerName))
                    .col(timestamptz(ReviewLeases::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("review_leases_location_expires")
                    .table(ReviewLeases::Table)
                    .col(ReviewLeases::LocationId)
                    .col(ReviewLeases::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        for column in [
            Locations::ContactCapMessages,
            Locations::ContactCapDays,
            Locations::ReviewConfidenceFloor,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Locations::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Locations::ContactCapMessages,
            Locations::ContactCapDays,
            Locations::ReviewConfidenceFloor,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Locations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ReviewLeases::Table).to_owned())
            .await
    }
}
