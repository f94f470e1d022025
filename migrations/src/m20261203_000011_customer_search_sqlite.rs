use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite's equivalent of the PostgreSQL trigram index on `customers.search_key`: an FTS5 table
/// with the trigram tokenizer, which finds the customers whose key contains a text of three
/// characters or more without reading every customer. Triggers keep it in step with
/// `customers`; rows are matched by customer id, because a table without an integer primary key
/// may get new rowids from `VACUUM`.
const UP: &str = r#"
CREATE VIRTUAL TABLE customer_search USING fts5(
    search_key, customer_id UNINDEXED, tokenize = 'trigram'
);
INSERT INTO customer_search (search_key, customer_id) SELECT search_key, id FROM customers;
CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search (search_key, customer_id) VALUES (new.search_key, new.id);
END;
CREATE TRIGGER customer_search_update AFTER UPDATE OF search_key ON customers BEGIN
    UPDATE customer_search SET search_key = new.search_key WHERE customer_id = old.id;
END;
CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customer_search WHERE customer_id = old.id;
END;
"#;

const DOWN: &str = r#"
DROP TRIGGER IF EXISTS customer_search_delete;
DROP TRIGGER IF EXISTS customer_search_update;
DROP TRIGGER IF EXISTS customer_search_insert;
DROP TABLE IF EXISTS customer_search;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager.get_connection().execute_unprepared(UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager.get_connection().execute_unprepared(DOWN).await?;
        }
        Ok(())
    }
}
