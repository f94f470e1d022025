use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_locations_and_customers::Locations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    LocationId,
    Key,
    /// SHA-256 of the method, path and body: a replay must send the same request.
    RequestHash,
    /// NULL while the first request is still being handled.
    ResponseStatus,
    ResponseBody,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ActionOutcomes {
    Table,
    Id,
    LocationId,
    ActionId,
    Kind,
    OccurredAt,
    Data,
    RecordedAt,
}

#[derive(DeriveIden)]
enum ActionResponses {
    Table,
    Id,
    LocationId,
    ActionId,
    ConversationId,
    Excerpt,
    ReceivedAt,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Actions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::Id).primary_key())
                    .col(uuid(IdempotencyKeys::LocationId))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(small_integer_null(IdempotencyKeys::ResponseStatus))
                    .col(text_null(IdempotencyKeys::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IdempotencyKeys::Table, IdempotencyKeys::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_idempotency_keys_location_key")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::LocationId)
                    .col(IdempotencyKeys::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionOutcomes::Table)
                    .col(uuid(ActionOutcomes::Id).primary_key())
                    .col(uuid(ActionOutcomes::LocationId))
                    .col(uuid(ActionOutcomes::ActionId))
                    .col(string_len(ActionOutcomes::Kind, 32))
                    .col(timestamp_with_time_zone(ActionOutcomes::OccurredAt))
                    .col(json_binary(ActionOutcomes::Data))
                    .col(timestamp_with_time_zone(ActionOutcomes::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionOutcomes::Table, ActionOutcomes::ActionId)
                            .to(Actions::Table, Actions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_action_outcomes_location_action")
                    .table(ActionOutcomes::Table)
                    .col(ActionOutcomes::LocationId)
                    .col(ActionOutcomes::ActionId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionResponses::Table)
                    .col(uuid(ActionResponses::Id).primary_key())
                    .col(uuid(ActionResponses::LocationId))
                    .col(uuid(ActionResponses::ActionId))
                    .col(string(ActionResponses::ConversationId))
                    .col(text(ActionResponses::Excerpt))
                    .col(timestamp_with_time_zone(ActionResponses::ReceivedAt))
                    .col(timestamp_with_time_zone(ActionResponses::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionResponses::Table, ActionResponses::ActionId)
                            .to(Actions::Table, Actions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_action_responses_location_action")
                    .table(ActionResponses::Table)
                    .col(ActionResponses::LocationId)
                    .col(ActionResponses::ActionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ActionResponses::Table.into_iden(),
            ActionOutcomes::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
