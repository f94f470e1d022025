use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_locations_and_customers::{Customers, Locations};
use crate::m20261124_000002_create_agents::Agents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Actions {
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
        manager
            .create_table(
                Table::create()
                    .table(Actions::Table)
                    .col(uuid(Actions::Id).primary_key())
                    .col(uuid(Actions::LocationId))
                    .col(uuid(Actions::AgentId))
                    .col(uuid(Actions::CustomerId))
                    .col(string_null(Actions::ExternalId))
                    .col(string_len(Actions::ActionType, 32))
                    .col(string_len_null(Actions::Channel, 16))
                    .col(text(Actions::Headline))
                    .col(text_null(Actions::Subject))
                    .col(text_null(Actions::Body))
                    .col(text_null(Actions::Script))
                    .col(string_len_null(Actions::Tone, 16))
                    .col(integer_null(Actions::EstimatedDurationSeconds))
                    .col(small_integer(Actions::Confidence))
                    .col(json_binary(Actions::ConfidenceFactors))
                    .col(string_len(Actions::Priority, 16))
                    .col(text(Actions::TriggerSummary))
                    .col(json_binary(Actions::TriggerData))
                    .col(json_binary(Actions::Variables))
                    .col(string_len(Actions::Status, 16))
                    .col(integer(Actions::Version))
                    .col(timestamp_with_time_zone(Actions::CreatedAt))
                    .col(timestamp_with_time_zone(Actions::UpdatedAt))
                    .col(timestamp_with_time_zone(Actions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Actions::NotBefore))
                    .col(timestamp_with_time_zone_null(Actions::SnoozedUntil))
                    .col(text_null(Actions::SnoozeNote))
                    .col(timestamp_with_time_zone_null(Actions::DeferredUntil))
                    .col(boolean(Actions::ApprovedAwaitingSend))
                    .col(timestamp_with_time_zone_null(Actions::FirstReviewedAt))
                    .col(big_integer_null(Actions::ReviewTimeSeconds))
                    .col(timestamp_with_time_zone_null(Actions::ApprovedAt))
                    .col(string_null(Actions::ApprovedBy))
                    .col(timestamp_with_time_zone_null(Actions::RejectedAt))
                    .col(string_null(Actions::RejectedBy))
                    .col(string_len_null(Actions::RejectionReason, 32))
                    .col(text_null(Actions::RejectionNote))
                    .col(timestamp_with_time_zone_null(Actions::ExpiredAt))
                    .col(timestamp_with_time_zone_null(Actions::AutoExecutedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Actions::Table, Actions::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Actions::Table, Actions::AgentId)
                            .to(Agents::Table, Agents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Actions::Table, Actions::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, Vec<Actions>, bool); 7] = [
            // The list: a segment, newest first.
            (
                "ix_actions_location_status_created",
                vec![
                    Actions::LocationId,
                    Actions::Status,
                    Actions::CreatedAt,
                    Actions::Id,
                ],
                false,
            ),
            // A replayed proposal finds the first one (NULLs never collide).
            (
                "ux_actions_location_agent_external",
                vec![Actions::LocationId, Actions::AgentId, Actions::ExternalId],
                true,
            ),
            (
                "ix_actions_location_customer_created",
                vec![Actions::LocationId, Actions::CustomerId, Actions::CreatedAt],
                false,
            ),
            // Metrics windows.
            (
                "ix_actions_location_approved_at",
                vec![Actions::LocationId, Actions::ApprovedAt],
                false,
            ),
            (
                "ix_actions_location_rejected_at",
                vec![Actions::LocationId, Actions::RejectedAt],
                false,
            ),
            (
                "ix_actions_location_first_reviewed_at",
                vec![Actions::LocationId, Actions::FirstReviewedAt],
                false,
            ),
            // The timer sweeps run across every location, so this one leads with the status.
            (
                "ix_actions_status_expires",
                vec![Actions::Status, Actions::ExpiresAt],
                false,
            ),
        ];
        for (name, columns, unique) in indexes {
            let mut index = Index::create();
            index.name(name).table(Actions::Table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ActionEvents::Table)
                    .col(uuid(ActionEvents::Id).primary_key())
                    .col(uuid(ActionEvents::LocationId))
                    .col(uuid(ActionEvents::ActionId))
                    .col(string_len(ActionEvents::Kind, 32))
                    .col(string_len_null(ActionEvents::FromStatus, 16))
                    .col(string_len_null(ActionEvents::ToStatus, 16))
                    .col(string(ActionEvents::Actor))
                    .col(timestamp_with_time_zone(ActionEvents::OccurredAt))
                    .col(integer(ActionEvents::Version))
                    .col(json_binary(ActionEvents::Data))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionEvents::Table, ActionEvents::LocationId)
                            .to(Locations::Table, Locations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionEvents::Table, ActionEvents::ActionId)
                            .to(Actions::Table, Actions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_action_events_location_action")
                    .table(ActionEvents::Table)
                    .col(ActionEvents::LocationId)
                    .col(ActionEvents::ActionId)
                    .col(ActionEvents::Version)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActionEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Actions::Table).to_owned())
            .await
    }
}
