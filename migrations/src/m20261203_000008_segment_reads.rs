use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    LocationId,
    AgentId,
    Status,
    ExpiresAt,
    Confidence,
    Id,
    NextTimerAt,
    ApprovedAt,
    RejectedAt,
    RejectionReason,
    FirstReviewedAt,
    ReviewTimeSeconds,
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

/// When the row's next timer fires, computed by the database from its lifecycle columns (the
/// SQL twin of the domain's `Lifecycle::next_timer`): an undecided action's expiry, or its
/// snooze or hold ending first; NULL once decided. A row with `next_timer_at <= now` shows
/// another status than it is stored with until the sweep stores it, and one index finds them.
/// PostgreSQL stores it; SQLite computes it and indexes it (it cannot add a stored one).
fn next_timer_at(backend: DbBackend) -> String {
    let (earlier, kind, stored) = match backend {
        DbBackend::Postgres => ("LEAST", "timestamptz", "STORED"),
        _ => ("MIN", "text", "VIRTUAL"),
    };
    format!(
        "ALTER TABLE actions ADD COLUMN next_timer_at {kind} GENERATED ALWAYS AS (CASE \
         WHEN status = 'pending' THEN expires_at \
         WHEN status = 'snoozed' THEN {earlier}(snoozed_until, expires_at) \
         WHEN status = 'deferred' AND approved_awaiting_send THEN deferred_until \
         WHEN status = 'deferred' THEN {earlier}(deferred_until, expires_at) \
         END) {stored}"
    )
}

/// The indexes a segment is read by beside `(location_id, status, created_at, id)`: the other
/// sortable columns that have one (expiry, confidence).
const INDEXES: [(&str, Actions); 2] = [
    ("ix_actions_location_status_expires", Actions::ExpiresAt),
    ("ix_actions_location_status_confidence", Actions::Confidence),
];

/// The metrics' windows, replaced by indexes that also hold every column the metrics read of
/// those rows, so that they are counted from the index alone.
const WINDOWS: [(&str, &str, &[Actions]); 3] = [
    (
        "ix_actions_location_approved_at",
        "ix_actions_location_approved_at_agent",
        &[Actions::ApprovedAt, Actions::AgentId],
    ),
    (
        "ix_actions_location_rejected_at",
        "ix_actions_location_rejected_at_agent_reason",
        &[
            Actions::RejectedAt,
            Actions::AgentId,
            Actions::RejectionReason,
        ],
    ),
    (
        "ix_actions_location_first_reviewed_at",
        "ix_actions_location_first_reviewed_at_agent_time",
        &[
            Actions::FirstReviewedAt,
            Actions::AgentId,
            Actions::ReviewTimeSeconds,
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .get_connection()
            .execute_unprepared(&next_timer_at(backend))
            .await?;
        // The sweep finds due rows in every location; a read, in its own.
        manager
            .drop_index(
                Index::drop()
                    .name("ix_actions_status_expires")
                    .table(Actions::Table)
                    .to_owned(),
            )
            .await?;
        // Only rows with a timer (the undecided few): smaller, cheaper to keep, and a range
        // read never walks past the decided rows' NULLs. `next_timer_at <= ?` implies the
        // condition, so both stores use them.
        for statement in [
            "CREATE INDEX ix_actions_next_timer_at ON actions (next_timer_at) \
             WHERE next_timer_at IS NOT NULL",
            "CREATE INDEX ix_actions_location_next_timer_at ON actions (location_id, next_timer_at) \
             WHERE next_timer_at IS NOT NULL",
        ] {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        for (old, new, columns) in WINDOWS {
            let mut index = Index::create();
            index
                .name(new)
                .table(Actions::Table)
                .col(Actions::LocationId);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
            manager
                .drop_index(Index::drop().name(old).table(Actions::Table).to_owned())
                .await?;
        }
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
        for name in [
            "ix_actions_next_timer_at",
            "ix_actions_location_next_timer_at",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Actions::Table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Actions::Table)
                    .drop_column(Actions::NextTimerAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_actions_status_expires")
                    .table(Actions::Table)
                    .col(Actions::Status)
                    .col(Actions::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Actions::Table).to_owned())
                .await?;
        }
        for (old, new, columns) in WINDOWS {
            manager
                .create_index(
                    Index::create()
                        .name(old)
                        .table(Actions::Table)
                        .col(Actions::LocationId)
                        .col(columns[0])
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(Index::drop().name(new).table(Actions::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
