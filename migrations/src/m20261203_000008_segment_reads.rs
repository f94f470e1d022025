use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    LocationId,
    AgentId,
    Status,
    ExpiresAt,
    SnoozedUntil,
    DeferredUntil,
    Confidence,
    Id,
}

/// How many actions each agent of a location has in each stored status, kept in the transaction
/// of every change, so that a segment's size is read, not counted.
#[derive(DeriveIden, Clone, Copy)]
enum ActionCounts {
    Table,
    LocationId,
    AgentId,
    Status,
    Count,
}

/// The indexes a segment is read by beside `(location_id, status, created_at, id)`: the other
/// sortable columns that have one (expiry, confidence), and the timers, which find the few rows
/// whose stored status the sweep has not caught up with yet without walking the whole segment.
const INDEXES: [(&str, Actions); 4] = [
    ("ix_actions_location_status_expires", Actions::ExpiresAt),
    ("ix_actions_location_status_confidence", Actions::Confidence),
    ("ix_actions_location_status_snoozed", Actions::SnoozedUntil),
    (
        "ix_actions_location_status_deferred",
        Actions::DeferredUntil,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Actions::Table)
                        .col(Actions::LocationId)
                        .col(Actions::Status)
                        .col(column)
                        .col(Actions::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ActionCounts::Table)
                    .col(uuid(ActionCounts::LocationId))
                    .col(uuid(ActionCounts::AgentId))
                    .col(string_len(ActionCounts::Status, 16))
                    .col(big_integer(ActionCounts::Count))
                    .primary_key(
                        Index::create()
                            .col(ActionCounts::LocationId)
                            .col(ActionCounts::AgentId)
                            .col(ActionCounts::Status),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActionCounts::Table, ActionCounts::LocationId)
                            .to(Alias::new("locations"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        // The actions already stored.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ActionCounts::Table)
                    .columns([
                        ActionCounts::LocationId,
                        ActionCounts::AgentId,
                        ActionCounts::Status,
                        ActionCounts::Count,
                    ])
                    .select_from(
                        Query::select()
                            .columns([Actions::LocationId, Actions::AgentId, Actions::Status])
                            .expr(Expr::col(Asterisk).count())
                            .from(Actions::Table)
                            .group_by_columns([
                                Actions::LocationId,
                                Actions::AgentId,
                                Actions::Status,
                            ])
                            .to_owned(),
                    )
                    .map_err(|error| DbErr::Migration(error.to_string()))?
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActionCounts::Table).to_owned())
            .await?;
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Actions::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
