use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

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
        table(
            Agents::Table,
            [
                pk_uuid(Agents::Id),
                uuid(Agents::LocationId),
                string_len(Agents::Slug, 64),
                string(Agents::Name),
                text(Agents::Description),
                boolean(Agents::Enabled),
                json_binary(Agents::AutoExecute),
                small_integer(Agents::AutoExecuteMinConfidence),
                big_integer(Agents::DefaultExpirySeconds),
                timestamptz(Agents::CreatedAt),
                timestamptz(Agents::UpdatedAt),
            ],
        )
        .location_fk(Agents::LocationId)
        .unique_index(
            "ux_agents_location_slug",
            [Agents::LocationId, Agents::Slug],
        )
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [Agents::Table.into_iden()]).await
    }
}
