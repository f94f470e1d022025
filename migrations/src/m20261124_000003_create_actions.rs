use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_locations_and_customers::Customers;
use crate::m20261124_000002_create_agents::Agents;
use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Actions {
    Table,
    Id,
    LocationId,
    AgentId,
    CustomerId,
    ExternalId,
    ActionType,
    Channel,
    /// The subject (email) or the script's opening line (voice): what the list shows and sorts.
    Headline,
    Subject,
    Body,
    Script,
    Tone,
    EstimatedDurationSeconds,
    Confidence,
    ConfidenceFactors,
    Priority,
    TriggerSummary,
    TriggerData,
    Variables,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
    NotBefore,
    SnoozedUntil,
    SnoozeNote,
    DeferredUntil,
    ApprovedAwaitingSend,
    FirstReviewedAt,
    /// Seconds from creation to the first review, kept so averages are plain SQL on both stores.
    ReviewTimeSeconds,
    ApprovedAt,
    ApprovedBy,
    RejectedAt,
    RejectedBy,
    RejectionReason,
    RejectionNote,
    ExpiredAt,
    AutoExecutedAt,
}

#[derive(DeriveIden)]
enum ActionEvents {
    Table,
    Id,
    LocationId,
    ActionId,
    Kind,
    FromStatus,
    ToStatus,
    Actor,
    OccurredAt,
    Version,
    Data,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        table(
            Actions::Table,
            [
                pk_uuid(Actions::Id),
                uuid(Actions::LocationId),
                uuid(Actions::AgentId),
                uuid(Actions::CustomerId),
                string_null(Actions::ExternalId),
                string_len(Actions::ActionType, 32),
                string_len_null(Actions::Channel, 16),
                text(Actions::Headline),
                text_null(Actions::Subject),
                text_null(Actions::Body),
                text_null(Actions::Script),
                string_len_null(Actions::Tone, 16),
                integer_null(Actions::EstimatedDurationSeconds),
                small_integer(Actions::Confidence),
                json_binary(Actions::ConfidenceFactors),
                string_len(Actions::Priority, 16),
                text(Actions::TriggerSummary),
                json_binary(Actions::TriggerData),
                json_binary(Actions::Variables),
                string_len(Actions::Status, 16),
                integer(Actions::Version),
                timestamptz(Actions::CreatedAt),
                timestamptz(Actions::UpdatedAt),
                timestamptz(Actions::ExpiresAt),
                timestamptz_null(Actions::NotBefore),
                timestamptz_null(Actions::SnoozedUntil),
                text_null(Actions::SnoozeNote),
                timestamptz_null(Actions::DeferredUntil),
                boolean(Actions::ApprovedAwaitingSend),
                timestamptz_null(Actions::FirstReviewedAt),
                big_integer_null(Actions::ReviewTimeSeconds),
                timestamptz_null(Actions::ApprovedAt),
                string_null(Actions::ApprovedBy),
                timestamptz_null(Actions::RejectedAt),
                string_null(Actions::RejectedBy),
                string_len_null(Actions::RejectionReason, 32),
                text_null(Actions::RejectionNote),
                timestamptz_null(Actions::ExpiredAt),
                timestamptz_null(Actions::AutoExecutedAt),
            ],
        )
        .location_fk(Actions::LocationId)
        .foreign_key(Actions::AgentId, Agents::Table, Agents::Id)
        .foreign_key(Actions::CustomerId, Customers::Table, Customers::Id)
        // The list: a segment, newest first.
        .index(
            "ix_actions_location_status_created",
            [
                Actions::LocationId,
                Actions::Status,
                Actions::CreatedAt,
                Actions::Id,
            ],
        )
        // A replayed proposal finds the first one (NULLs never collide).
        .unique_index(
            "ux_actions_location_agent_external",
            [Actions::LocationId, Actions::AgentId, Actions::ExternalId],
        )
        .index(
            "ix_actions_location_customer_created",
            [Actions::LocationId, Actions::CustomerId, Actions::CreatedAt],
        )
        // Metrics windows.
        .index(
            "ix_actions_location_approved_at",
            [Actions::LocationId, Actions::ApprovedAt],
        )
        .index(
            "ix_actions_location_rejected_at",
            [Actions::LocationId, Actions::RejectedAt],
        )
        .index(
            "ix_actions_location_first_reviewed_at",
            [Actions::LocationId, Actions::FirstReviewedAt],
        )
        // The timer sweeps run across every location, so this one leads with the status.
        .index(
            "ix_actions_status_expires",
            [Actions::Status, Actions::ExpiresAt],
        )
        .create(manager)
        .await?;
        table(
            ActionEvents::Table,
            [
                pk_uuid(ActionEvents::Id),
                uuid(ActionEvents::LocationId),
                uuid(ActionEvents::ActionId),
                string_len(ActionEvents::Kind, 32),
                string_len_null(ActionEvents::FromStatus, 16),
                string_len_null(ActionEvents::ToStatus, 16),
                string(ActionEvents::Actor),
                timestamptz(ActionEvents::OccurredAt),
                integer(ActionEvents::Version),
                json_binary(ActionEvents::Data),
            ],
        )
        .location_fk(ActionEvents::LocationId)
        .foreign_key(ActionEvents::ActionId, Actions::Table, Actions::Id)
        .index(
            "ix_action_events_location_action",
            [
                ActionEvents::LocationId,
                ActionEvents::ActionId,
                ActionEvents::Version,
            ],
        )
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [ActionEvents::Table.into_iden(), Actions::Table.into_iden()],
        )
        .await
    }
}
