use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000003_create_actions::Actions;
use crate::tables::*;

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(
            IdempotencyKeys::Table,
            [
                pk_uuid(IdempotencyKeys::Id),
                uuid(IdempotencyKeys::LocationId),
                string_len(IdempotencyKeys::Key, 255),
                string_len(IdempotencyKeys::RequestHash, 64),
                small_integer_null(IdempotencyKeys::ResponseStatus),
                text_null(IdempotencyKeys::ResponseBody),
                timestamptz(IdempotencyKeys::CreatedAt),
            ],
        )
        .location_fk(IdempotencyKeys::LocationId)
        .unique_index(
            "ux_idempotency_keys_location_key",
            [IdempotencyKeys::LocationId, IdempotencyKeys::Key],
        )
        .create(manager)
        .await?;
        // Outcomes and responses have no foreign key to `locations`: keep it so, as first migrated.
        table(
            ActionOutcomes::Table,
            [
                pk_uuid(ActionOutcomes::Id),
                uuid(ActionOutcomes::LocationId),
                uuid(ActionOutcomes::ActionId),
                string_len(ActionOutcomes::Kind, 32),
                timestamptz(ActionOutcomes::OccurredAt),
                json_binary(ActionOutcomes::Data),
                timestamptz(ActionOutcomes::RecordedAt),
            ],
        )
        .foreign_key(ActionOutcomes::ActionId, Actions::Table, Actions::Id)
        .index(
            "ix_action_outcomes_location_action",
            [ActionOutcomes::LocationId, ActionOutcomes::ActionId],
        )
        .create(manager)
        .await?;
        table(
            ActionResponses::Table,
            [
                pk_uuid(ActionResponses::Id),
                uuid(ActionResponses::LocationId),
                uuid(ActionResponses::ActionId),
                string(ActionResponses::ConversationId),
                text(ActionResponses::Excerpt),
                timestamptz(ActionResponses::ReceivedAt),
                timestamptz(ActionResponses::RecordedAt),
            ],
        )
        .foreign_key(ActionResponses::ActionId, Actions::Table, Actions::Id)
        .index(
            "ix_action_responses_location_action",
            [ActionResponses::LocationId, ActionResponses::ActionId],
        )
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                ActionResponses::Table.into_iden(),
                ActionOutcomes::Table.into_iden(),
                IdempotencyKeys::Table.into_iden(),
            ],
        )
        .await
    }
}
