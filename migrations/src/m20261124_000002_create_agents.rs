use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_locations_and_customers::Locations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Agents {
    Table,
    Id,
    LocationId,
    /// Stable per location, e.g. `due_invoice_reminders`.
    Slug,
    Name,
    Description,
    Enabled,
    /// The action types this agent may send without review (a JSON array).
    AutoExecute,
    AutoExecuteMinConfidence,
    DefaultExpirySeconds,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Agents::Table)
                    .col(uuid(Agents::Id).primary_key())
                    .col(uuid(Agents::LocationId))
                    .col(string_len(Agents::Slug, 64))
                    .col(string(Agents::Name))
                    .col(text(Agents::Description))
                    .col(boolean(Agents::Enabled))
                    .col(json_binary(Agents::AutoExecute))
                    .col(small_integer(Agents::AutoExecuteMinConfidence))
                    .col(big_integer(Agents::DefaultExpirySeconds))
                    .col(timestamp_with_time_zone(Agents::CreatedAt))
                    .col(timestamp_with_time_zone(Agents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Agents::Table, Agents::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_agents_location_slug")
                    .table(Agents::Table)
                    .col(Agents::LocationId)
                    .col(Agents::Slug)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Agents::Table).to_owned())
            .await
    }
}
