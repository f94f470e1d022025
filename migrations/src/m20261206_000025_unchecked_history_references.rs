use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// On PostgreSQL, history entries and messages no longer have the database check that their
/// action and location exist. PostgreSQL checks a foreign key with a query per new row that
/// also locks the row it refers to, and a bulk approval of 500 writes 500 of each in its
/// transaction. Measured at a million actions (docs/benchmarks.md): without the four checks the
/// history's `INSERT` fell from 11.6–11.9 to 6.4–6.8 ms and the messages' from 15.1–15.9 to
/// 10.4–10.6; the approval's p50 from 125–150 to 106–128 ms in alternating runs.
///
/// Nothing the checks caught can happen. Only the data layer writes these rows, in the
/// transaction that inserts or changes their action, from that action's id and location. No
/// action or location is ever deleted. SQLite keeps its checks: there each is one lookup,
/// without a lock.
///
/// Each check: the table, the constraint PostgreSQL named it, the column, the table it refers to.
const CHECKS: [(&str, &str, &str, &str); 4] = [
    (
        "action_events",
        "action_events_action_id_fkey",
        "action_id",
        "actions",
    ),
    (
        "action_events",
        "action_events_location_id_fkey",
        "location_id",
        "locations",
    ),
    (
        "deliveries",
        "deliveries_action_id_fkey",
        "action_id",
        "actions",
    ),
    (
        "deliveries",
        "deliveries_location_id_fkey",
        "location_id",
        "locations",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, name, _, _) in CHECKS {
            manager
                .get_connection()
                .execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, name, column, referred) in CHECKS {
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} \
                     FOREIGN KEY ({column}) REFERENCES {referred} (id)"
                ))
                .await?;
        }
        Ok(())
    }
}
