use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An integration's endpoint, registered by an admin. Removing one keeps the row (and its
/// delivery log) and sets `deleted_at`.
#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    LocationId,
    Url,
    /// A JSON array of event names.
    Events,
    Description,
    /// The signing key, as `whsec_` and base64: the worker needs it to sign.
    Secret,
    CreatedAt,
    DeletedAt,
}

/// The webhook outbox: one row per event and endpoint, written in the transaction that recorded
/// the event and worked off like the delivery outbox (same claim, lease and retries).
#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    LocationId,
    EndpointId,
    Event,
    ActionId,
    /// The JSON body, exactly as it is signed and sent.
    Payload,
    State,
    DeliverAt,
    LeaseUntil,
    Attempts,
    LastError,
    ResponseStatus,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

/// The request an `Idempotency-Key` claim committed, written in the use case's transaction: a
/// retry after a failure that came after the commit replays it rather than running again.
#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    CommittedAt,
    ActionId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(
            WebhookEndpoints::Table,
            [
                pk_uuid(WebhookEndpoints::Id),
                uuid(WebhookEndpoints::LocationId),
                text(WebhookEndpoints::Url),
                json_binary(WebhookEndpoints::Events),
                text_null(WebhookEndpoints::Description),
                text(WebhookEndpoints::Secret),
                timestamptz(WebhookEndpoints::CreatedAt),
                timestamptz_null(WebhookEndpoints::DeletedAt),
            ],
        )
        .location_fk(WebhookEndpoints::LocationId)
        .index(
            "ix_webhook_endpoints_location",
            [WebhookEndpoints::LocationId, WebhookEndpoints::DeletedAt],
        )
        .create(manager)
        .await?;
        table(
            WebhookDeliveries::Table,
            [
                pk_uuid(WebhookDeliveries::Id),
                uuid(WebhookDeliveries::LocationId),
                uuid(WebhookDeliveries::EndpointId),
                string_len(WebhookDeliveries::Event, 32),
                uuid_null(WebhookDeliveries::ActionId),
                text(WebhookDeliveries::Payload),
                string_len(WebhookDeliveries::State, 16),
                timestamptz(WebhookDeliveries::DeliverAt),
                timestamptz_null(WebhookDeliveries::LeaseUntil),
                integer(WebhookDeliveries::Attempts),
                text_null(WebhookDeliveries::LastError),
                integer_null(WebhookDeliveries::ResponseStatus),
                timestamptz(WebhookDeliveries::CreatedAt),
                timestamptz(WebhookDeliveries::UpdatedAt),
                timestamptz_null(WebhookDeliveries::SentAt),
            ],
        )
        .location_fk(WebhookDeliveries::LocationId)
        .foreign_key(
            WebhookDeliveries::EndpointId,
            WebhookEndpoints::Table,
            WebhookEndpoints::Id,
        )
        .index(
            "ix_webhook_deliveries_state_deliver_at",
            [WebhookDeliveries::State, WebhookDeliveries::DeliverAt],
        )
        .index(
            "ix_webhook_deliveries_endpoint",
            [WebhookDeliveries::EndpointId, WebhookDeliveries::Id],
        )
        .create(manager)
        .await?;
        // One column per statement: SQLite adds only one at a time.
        for column in [
            timestamptz_null(IdempotencyKeys::CommittedAt),
            uuid_null(IdempotencyKeys::ActionId),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(IdempotencyKeys::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [IdempotencyKeys::CommittedAt, IdempotencyKeys::ActionId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(IdempotencyKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        drop_tables(
            manager,
            [
                WebhookDeliveries::Table.into_iden(),
                WebhookEndpoints::Table.into_iden(),
            ],
        )
        .await
    }
}
