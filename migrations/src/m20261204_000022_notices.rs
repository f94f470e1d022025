use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Reviewers told where they are: each reviewer's notification preferences and the secret their
/// one-click decision links are signed with (a new one revokes every link sent before); a
/// location's team-channel webhook; the notices outbox (digests, immediate emails, channel
/// posts), whose `dedup_key` makes each period's digest and each action's notice go once; and
/// the one-click links already used.
#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    NotificationPreferences,
    LinkSecret,
}

#[derive(DeriveIden, Clone, Copy)]
enum Locations {
    Table,
    SlackWebhookUrl,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    LocationId,
    UserId,
    Channel,
    Kind,
    DedupKey,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    State,
    DeliverAt,
    LeaseUntil,
    Attempts,
    LastError,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum UsedDecisionLinks {
    Table,
    Nonce,
    UserId,
    ActionId,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [Users::NotificationPreferences, Users::LinkSecret] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(text_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Locations::Table)
                    .add_column(text_null(Locations::SlackWebhookUrl))
                    .to_owned(),
            )
            .await?;
        table(
            Notices::Table,
            [
                pk_uuid(Notices::Id),
                uuid(Notices::LocationId),
                uuid_null(Notices::UserId),
                string_len(Notices::Channel, 16),
                string_len(Notices::Kind, 16),
                string_len(Notices::DedupKey, 200),
                text_null(Notices::Recipient),
                text(Notices::Subject),
                text(Notices::BodyText),
                text_null(Notices::BodyHtml),
                string_len(Notices::State, 16),
                timestamptz(Notices::DeliverAt),
                timestamptz_null(Notices::LeaseUntil),
                integer(Notices::Attempts),
                text_null(Notices::LastError),
                timestamptz(Notices::CreatedAt),
                timestamptz(Notices::UpdatedAt),
                timestamptz_null(Notices::SentAt),
            ],
        )
        .location_fk(Notices::LocationId)
        .unique_index(
            "ux_notices_location_dedup",
            [Notices::LocationId, Notices::DedupKey],
        )
        .index(
            "ix_notices_state_deliver_at",
            [Notices::State, Notices::DeliverAt],
        )
        .index(
            "ix_notices_user_created",
            [Notices::UserId, Notices::CreatedAt],
        )
        .create(manager)
        .await?;
        table(
            UsedDecisionLinks::Table,
            [
                pk_uuid(UsedDecisionLinks::Nonce),
                uuid(UsedDecisionLinks::UserId),
                uuid(UsedDecisionLinks::ActionId),
                timestamptz(UsedDecisionLinks::UsedAt),
            ],
        )
        .index(
            "ix_used_decision_links_used_at",
            [UsedDecisionLinks::UsedAt],
        )
        .create(manager)
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                UsedDecisionLinks::Table.into_iden(),
                Notices::Table.into_iden(),
            ],
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Locations::Table)
                    .drop_column(Locations::SlackWebhookUrl)
                    .to_owned(),
            )
            .await?;
        for column in [Users::NotificationPreferences, Users::LinkSecret] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
