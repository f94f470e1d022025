use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000003_create_actions::Actions;
use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The delivery outbox: one row per message an approved or auto-executed action sends, written
/// in the decision's transaction and worked off by the delivery worker.
#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    LocationId,
    ActionId,
    /// `email`, `voice` or `internal` (notes and tasks, recorded on the customer's history).
    Channel,
    /// `scheduled`, `sending`, `sent`, `failed` or `cancelled`.
    State,
    /// When it may leave: after the undo window, or when a deferred call is released.
    DeliverAt,
    /// While `sending`: the claim expires then, so a crashed worker's job is taken over.
    LeaseUntil,
    Attempts,
    LastError,
    /// The rendered message, exactly as it goes out.
    Recipient,
    Sender,
    Subject,
    BodyHtml,
    BodyText,
    Script,
    /// The `Message-ID` of an email, or the provider's call id.
    ProviderId,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(
            Deliveries::Table,
            [
                pk_uuid(Deliveries::Id),
                uuid(Deliveries::LocationId),
                uuid(Deliveries::ActionId),
                string_len(Deliveries::Channel, 16),
                string_len(Deliveries::State, 16),
                timestamptz(Deliveries::DeliverAt),
                timestamptz_null(Deliveries::LeaseUntil),
                integer(Deliveries::Attempts),
                text_null(Deliveries::LastError),
                text_null(Deliveries::Recipient),
                text_null(Deliveries::Sender),
                text_null(Deliveries::Subject),
                text_null(Deliveries::BodyHtml),
                text_null(Deliveries::BodyText),
                text_null(Deliveries::Script),
                text_null(Deliveries::ProviderId),
                timestamptz(Deliveries::CreatedAt),
                timestamptz(Deliveries::UpdatedAt),
                timestamptz_null(Deliveries::SentAt),
            ],
        )
        .location_fk(Deliveries::LocationId)
        .foreign_key(Deliveries::ActionId, Actions::Table, Actions::Id)
        .index(
            "ix_deliveries_state_deliver_at",
            [Deliveries::State, Deliveries::DeliverAt],
        )
        .index(
            "ix_deliveries_location_created",
            [Deliveries::LocationId, Deliveries::CreatedAt],
        )
        .index("ix_deliveries_action", [Deliveries::ActionId])
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [Deliveries::Table.into_iden()]).await
    }
}
