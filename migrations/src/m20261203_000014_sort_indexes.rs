use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every column the list sorts by has an index that walks a segment in that order (ties by id),
/// so a page sorted by any column reads its rows and stops, at any depth, instead of sorting the
/// whole segment (creation, expiry and confidence already had theirs).
///
/// The customer's and the agent's names are kept on the action (names do not change once a
/// proposal is made), and the two orders that are not a column's own are columns the database
/// computes: `priority_rank` (by urgency, as `SortField::Priority` ranks) and `channel_key`
/// (notes and tasks, which have no channel, sort as the empty string).
const INDEXES: [(&str, &str); 6] = [
    ("ix_actions_location_status_headline", "headline"),
    ("ix_actions_location_status_customer_name", "customer_name"),
    ("ix_actions_location_status_agent_name", "agent_name"),
    ("ix_actions_location_status_action_type", "action_type"),
    ("ix_actions_location_status_channel_key", "channel_key"),
    ("ix_actions_location_status_priority_rank", "priority_rank"),
];

fn computed_columns(backend: DbBackend) -> [String; 2] {
    let (rank, text, stored) = match backend {
        DbBackend::Postgres => ("smallint", "text", "STORED"),
        _ => ("integer", "text", "VIRTUAL"),
    };
    [
        format!(
            "ALTER TABLE actions ADD COLUMN priority_rank {rank} GENERATED ALWAYS AS (CASE priority \
             WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 WHEN 'critical' THEN 3 \
             ELSE -1 END) {stored}"
        ),
        format!(
            "ALTER TABLE actions ADD COLUMN channel_key {text} \
             GENERATED ALWAYS AS (COALESCE(channel, '')) {stored}"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for statement in [
            "ALTER TABLE actions ADD COLUMN customer_name text NOT NULL DEFAULT ''",
            "ALTER TABLE actions ADD COLUMN agent_name text NOT NULL DEFAULT ''",
            "UPDATE actions SET customer_name = \
             (SELECT full_name FROM customers WHERE customers.id = actions.customer_id)",
            "UPDATE actions SET agent_name = \
             (SELECT name FROM agents WHERE agents.id = actions.agent_id)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        for statement in computed_columns(backend) {
            db.execute_unprepared(&statement).await?;
        }
        for (name, column) in INDEXES {
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON actions (location_id, status, {column}, id)"
            ))
            .await?;
        }
        // Sorted by status, a list of several segments walks each segment by id.
        db.execute_unprepared(
            "CREATE INDEX ix_actions_location_status_id ON actions (location_id, status, id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        db.execute_unprepared("DROP INDEX ix_actions_location_status_id")
            .await?;
        for column in [
            "channel_key",
            "priority_rank",
            "agent_name",
            "customer_name",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE actions DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}
