//! Loading many rows in one transaction (the history seed). PostgreSQL receives them by `COPY`,
//! SQLite by the largest multi-row `INSERT`s it takes. A load larger than what the tables hold
//! sets their secondary indexes aside and builds them again before it commits: one sorted pass
//! per index instead of a million insertions into each of a dozen. Primary keys and unique
//! indexes stay, so the load stays as checked as any write. Stopped or failed, the transaction
//! leaves the tables and their indexes as they were.

use std::fmt::Write;

use sea_orm::{
    sea_query::{InsertStatement, PostgresQueryBuilder},
    sqlx::{self, postgres::PgConnection, Postgres},
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IdenStatic, IntoActiveModel, Iterable, ModelTrait, Statement, TransactionTrait, Value,
};

/// The tables a history load fills.
const LOADED: [&str; 3] = ["actions", "action_events", "deliveries"];

/// An index dropped for a load: its name and the statement that creates it again.
#[derive(Debug, Clone)]
struct SetAside {
    name: String,
    create: String,
}

enum Transaction {
    Postgres(sqlx::Transaction<'static, Postgres>),
    Other(DatabaseTransaction),
}

/// One load: its transaction and the indexes it set aside.
pub struct Load {
    transaction: Transaction,
    set_aside: Vec<SetAside>,
}

impl Load {
    /// Begins a load; with `without_indexes`, the loaded tables' secondary indexes are dropped
    /// until [`Load::commit`] builds them again.
    pub async fn begin(db: &DatabaseConnection, without_indexes: bool) -> Result<Load, DbErr> {
        let transaction = match db.get_database_backend() {
            DbBackend::Postgres => Transaction::Postgres(
                db.get_postgres_connection_pool()
                    .begin()
                    .await
                    .map_err(sqlx_error)?,
            ),
            _ => Transaction::Other(db.begin().await?),
        };
        let mut load = Load {
            transaction,
            set_aside: Vec::new(),
        };
        if without_indexes {
            load.set_aside = load.secondary_indexes().await?;
            for index in load.set_aside.clone() {
                load.execute(&format!("DROP INDEX \"{}\"", index.name))
                    .await?;
            }
        }
        Ok(load)
    }

    /// Adds `models` to their table.
    pub async fn insert<E>(&mut self, models: Vec<E::Model>) -> Result<(), DbErr>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel>,
    {
        if models.is_empty() {
            return Ok(());
        }
        match &mut self.transaction {
            Transaction::Postgres(txn) => copy_in::<E>(txn, &models).await,
            Transaction::Other(txn) => {
                // SQLite takes at most 32,766 bound parameters in a statement.
                let per_statement = (30_000 / E::Column::iter().count()).max(1);
                let mut models = models
                    .into_iter()
                    .map(IntoActiveModel::into_active_model)
                    .peekable();
                while models.peek().is_some() {
                    let chunk: Vec<_> = models.by_ref().take(per_statement).collect();
                    E::insert_many(chunk).exec_without_returning(txn).await?;
                }
                Ok(())
            }
        }
    }

    /// Runs `statement` (one built by sea-query) in the load's transaction.
    pub async fn run(&mut self, statement: &InsertStatement) -> Result<(), DbErr> {
        match &mut self.transaction {
            Transaction::Postgres(_) => {
                self.execute(&statement.to_string(PostgresQueryBuilder))
                    .await
            }
            Transaction::Other(txn) => {
                let backend = txn.get_database_backend();
                txn.execute(backend.build(statement)).await.map(drop)
            }
        }
    }

    /// Builds the indexes set aside again, then commits.
    pub async fn commit(mut self) -> Result<(), DbErr> {
        if !self.set_aside.is_empty() {
            if let Transaction::Postgres(_) = self.transaction {
                // Room to sort each index in memory (for this transaction only).
                self.execute("SET LOCAL maintenance_work_mem = '256MB'")
                    .await?;
            }
            for index in std::mem::take(&mut self.set_aside) {
                self.execute(&index.create).await?;
            }
        }
        match self.transaction {
            Transaction::Postgres(txn) => txn.commit().await.map_err(sqlx_error),
            Transaction::Other(txn) => txn.commit().await,
        }
    }

    async fn execute(&mut self, sql: &str) -> Result<(), DbErr> {
        match &mut self.transaction {
            Transaction::Postgres(txn) => sqlx::raw_sql(sql)
                .execute(&mut **txn)
                .await
                .map(drop)
                .map_err(sqlx_error),
            Transaction::Other(txn) => txn.execute_unprepared(sql).await.map(drop),
        }
    }

    /// The loaded tables' non-unique indexes, with the statements that create them.
    async fn secondary_indexes(&mut self) -> Result<Vec<SetAside>, DbErr> {
        let tables = LOADED
            .iter()
            .map(|table| format!("'{table}'"))
            .collect::<Vec<_>>()
            .join(", ");
        match &mut self.transaction {
            Transaction::Postgres(txn) => {
                let sql = format!(
                    "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) \
                     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                     JOIN pg_class t ON t.oid = i.indrelid \
                     WHERE t.relname IN ({tables}) \
                     AND t.relnamespace = current_schema()::regnamespace \
                     AND NOT i.indisunique AND NOT i.indisprimary ORDER BY 1"
                );
                let rows: Vec<(String, String)> = sqlx::query_as(&sql)
                    .fetch_all(&mut **txn)
                    .await
                    .map_err(sqlx_error)?;
                Ok(rows
                    .into_iter()
                    .map(|(name, create)| SetAside { name, create })
                    .collect())
            }
            // Indexes SQLite made for constraints have no SQL; unique ones are kept.
            Transaction::Other(txn) => {
                let sql = format!(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
                     AND tbl_name IN ({tables}) AND sql IS NOT NULL \
                     AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
                );
                let backend = txn.get_database_backend();
                txn.query_all(Statement::from_string(backend, sql))
                    .await?
                    .into_iter()
                    .map(|row| {
                        Ok(SetAside {
                            name: row.try_get("", "name")?,
                            create: row.try_get("", "sql")?,
                        })
                    })
                    .collect()
            }
        }
    }
}

/// `COPY <table> (<columns>) FROM STDIN` of `models`, in PostgreSQL's text format.
async fn copy_in<E: EntityTrait>(
    connection: &mut PgConnection,
    models: &[E::Model],
) -> Result<(), DbErr> {
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let names: Vec<&str> = columns.iter().map(IdenStatic::as_str).collect();
    let mut data = String::new();
    for model in models {
        for (n, column) in columns.iter().enumerate() {
            if n > 0 {
                data.push('\t');
            }
            copy_field(&model.get(*column), &mut data)?;
        }
        data.push('\n');
    }
    let statement = format!(
        "COPY {} ({}) FROM STDIN",
        E::default().table_name(),
        names.join(", ")
    );
    let mut copy = connection
        .copy_in_raw(&statement)
        .await
        .map_err(sqlx_error)?;
    copy.send(data.as_bytes()).await.map_err(sqlx_error)?;
    copy.finish().await.map(drop).map_err(sqlx_error)
}

/// One value in `COPY`'s text format: `\N` for NULL, text with its backslashes, tabs and line
/// breaks escaped.
fn copy_field(value: &Value, out: &mut String) -> Result<(), DbErr> {
    fn text(value: &str, out: &mut String) {
        for character in value.chars() {
            match character {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                other => out.push(other),
            }
        }
    }
    // Writing to a String cannot fail.
    let _ = match value {
        Value::Bool(Some(v)) => write!(out, "{}", if *v { "t" } else { "f" }),
        Value::SmallInt(Some(v)) => write!(out, "{v}"),
        Value::Int(Some(v)) => write!(out, "{v}"),
        Value::BigInt(Some(v)) => write!(out, "{v}"),
        Value::Double(Some(v)) => write!(out, "{v}"),
        Value::Uuid(Some(v)) => write!(out, "{v}"),
        Value::ChronoDateTimeUtc(Some(v)) => write!(out, "{}", v.to_rfc3339()),
        Value::String(Some(v)) => {
            text(v, out);
            Ok(())
        }
        Value::Json(Some(v)) => {
            text(&v.to_string(), out);
            Ok(())
        }
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::Double(None)
        | Value::Uuid(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::String(None)
        | Value::Json(None) => write!(out, "\\N"),
        other => return Err(DbErr::Custom(format!("no COPY text for {other:?}"))),
    };
    Ok(())
}

fn sqlx_error(error: sqlx::Error) -> DbErr {
    DbErr::Custom(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_would_end_a_field_or_a_row() {
        let mut out = String::new();
        copy_field(&Value::from("a\tb\nc\\d\re"), &mut out).expect("text");
        assert_eq!(out, "a\\tb\\nc\\\\d\\re");
        out.clear();
        copy_field(&Value::String(None), &mut out).expect("null");
        assert_eq!(out, "\\N");
        out.clear();
        copy_field(&Value::from(serde_json::json!({"k": "v\n"})), &mut out).expect("json");
        assert_eq!(out, "{\"k\":\"v\\\\n\"}");
    }
}
