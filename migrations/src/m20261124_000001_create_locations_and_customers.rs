use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Locations {
    Table,
    Id,
    Slug,
    Name,
    SendingAddress,
    Signature,
    TimeZone,
    BusinessHours,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Customers {
    Table,
    Id,
    LocationId,
    FullName,
    Company,
    CustomerType,
    Email,
    Phone,
    Plan,
    PhotoUrl,
    /// Name and company folded to lower-case ASCII, for accent-insensitive search.
    SearchKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerHistory {
    Table,
    Id,
    LocationId,
    CustomerId,
    Kind,
    OccurredAt,
    Summary,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(
            Locations::Table,
            [
                pk_uuid(Locations::Id),
                string_len_uniq(Locations::Slug, 64),
                string(Locations::Name),
                string(Locations::SendingAddress),
                text(Locations::Signature),
                string_len(Locations::TimeZone, 64),
                json_binary(Locations::BusinessHours),
                timestamptz(Locations::CreatedAt),
            ],
        )
        .create(manager)
        .await?;
        table(
            Customers::Table,
            [
                pk_uuid(Customers::Id),
                uuid(Customers::LocationId),
                string(Customers::FullName),
                string_null(Customers::Company),
                string_len(Customers::CustomerType, 16),
                string_null(Customers::Email),
                string_null(Customers::Phone),
                string_null(Customers::Plan),
                string_null(Customers::PhotoUrl),
                string(Customers::SearchKey),
                timestamptz(Customers::CreatedAt),
            ],
        )
        .location_fk(Customers::LocationId)
        .index(
            "ix_customers_location_name",
            [Customers::LocationId, Customers::FullName],
        )
        .create(manager)
        .await?;
        table(
            CustomerHistory::Table,
            [
                pk_uuid(CustomerHistory::Id),
                uuid(CustomerHistory::LocationId),
                uuid(CustomerHistory::CustomerId),
                string_len(CustomerHistory::Kind, 16),
                timestamptz(CustomerHistory::OccurredAt),
                text(CustomerHistory::Summary),
                json_binary(CustomerHistory::Data),
            ],
        )
        .location_fk(CustomerHistory::LocationId)
        .foreign_key(CustomerHistory::CustomerId, Customers::Table, Customers::Id)
        .index(
            "ix_customer_history_location_customer_time",
            [
                CustomerHistory::LocationId,
                CustomerHistory::CustomerId,
                CustomerHistory::OccurredAt,
            ],
        )
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                CustomerHistory::Table.into_iden(),
                Customers::Table.into_iden(),
                Locations::Table.into_iden(),
            ],
        )
        .await
    }
}
