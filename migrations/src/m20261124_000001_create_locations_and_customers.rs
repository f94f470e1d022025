use sea_orm_migration::{prelude::*, schema::*};

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
        manager
            .create_table(
                Table::create()
                    .table(Locations::Table)
                    .col(uuid(Locations::Id).primary_key())
                    .col(string_len_uniq(Locations::Slug, 64))
                    .col(string(Locations::Name))
                    .col(string(Locations::SendingAddress))
                    .col(text(Locations::Signature))
                    .col(string_len(Locations::TimeZone, 64))
                    .col(json_binary(Locations::BusinessHours))
                    .col(timestamp_with_time_zone(Locations::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(uuid(Customers::Id).primary_key())
                    .col(uuid(Customers::LocationId))
                    .col(string(Customers::FullName))
                    .col(string_null(Customers::Company))
                    .col(string_len(Customers::CustomerType, 16))
                    .col(string_null(Customers::Email))
                    .col(string_null(Customers::Phone))
                    .col(string_null(Customers::Plan))
                    .col(string_null(Customers::PhotoUrl))
                    .col(string(Customers::SearchKey))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Customers::Table, Customers::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_location_name")
                    .table(Customers::Table)
                    .col(Customers::LocationId)
                    .col(Customers::FullName)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerHistory::Table)
                    .col(uuid(CustomerHistory::Id).primary_key())
                    .col(uuid(CustomerHistory::LocationId))
                    .col(uuid(CustomerHistory::CustomerId))
                    .col(string_len(CustomerHistory::Kind, 16))
                    .col(timestamp_with_time_zone(CustomerHistory::OccurredAt))
                    .col(text(CustomerHistory::Summary))
                    .col(json_binary(CustomerHistory::Data))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerHistory::Table, CustomerHistory::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CustomerHistory::Table, CustomerHistory::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_history_location_customer_time")
                    .table(CustomerHistory::Table)
                    .col(CustomerHistory::LocationId)
                    .col(CustomerHistory::CustomerId)
                    .col(CustomerHistory::OccurredAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerHistory::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Customers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Locations::Table).to_owned())
            .await
    }
}
