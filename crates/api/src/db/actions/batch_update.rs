//! Many conditional updates in one statement: the rows of a bulk decision are written together
//! instead of one round trip each (500 approvals: one `UPDATE … FROM` their new values). On
//! PostgreSQL the values travel as one JSON text, as new rows do (`insert_rows`): 500
//! approvals' 6,500 parameters took the server about 3 ms to parse and bind.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbBackend, DbErr, FromQueryResult, IdenStatic,
    Iterable, Statement, Value,
};
use serde::{ser::SerializeMap, Serialize, Serializer};

use super::{actions, PreparedChange};
use crate::db::{insert_rows::Field, insights::TalliedAction};

/// SQLite takes at most 32,766 parameters in a statement; PostgreSQL 65,535.
const PARAMS_PER_STATEMENT: usize = 30_000;

/// Applies each change whose row is still at its expected version; returns the rows applied,
/// as far as the insight tallies read them (so that they need not read them again). Changes
/// that set the same columns share a statement. On PostgreSQL the rows are locked in id
/// order first, as one-by-one updates in id order did, so two bulk requests over the same rows
/// wait for each other instead of deadlocking.
pub(super) async fn update_rows<C: ConnectionTrait>(
    db: &C,
    changes: &[&PreparedChange],
) -> Result<Vec<TalliedAction>, DbErr> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres && changes.len() > 1 {
        lock_in_id_order(db, changes).await?;
    }
    let mut by_columns: BTreeMap<Vec<String>, Vec<(&PreparedChange, Vec<Value>)>> = BTreeMap::new();
    for change in changes {
        let (mut columns, mut values) = (Vec::new(), Vec::new());
        for column in actions::Column::iter() {
            if let ActiveValue::Set(value) = change.update.get(column) {
                columns.push(column.as_str().to_owned());
                values.push(value);
            }
        }
        by_columns
            .entry(columns)
            .or_default()
            .push((change, values));
    }
    let mut applied = Vec::new();
    for (columns, rows) in by_columns {
        let per_row = columns.len() + 3;
        for chunk in rows.chunks((PARAMS_PER_STATEMENT / per_row).max(1)) {
            let statement = match backend {
                DbBackend::Postgres => json_update_statement(&columns, chunk)?,
                _ => values_update_statement(backend, &columns, chunk),
            };
            for row in db.query_all(statement).await? {
                applied.push(TalliedAction::from_query_result(&row, "")?);
            }
        }
    }
    Ok(applied)
}

/// `UPDATE actions SET ... FROM <the rows of a JSON array> v WHERE <row at its version>`, on
/// PostgreSQL: each element names the row (`id`, `location_id`), the version it is expected at
/// and its new values, read as the table's columns by `json_populate_record`.
fn json_update_statement(
    columns: &[String],
    rows: &[(&PreparedChange, Vec<Value>)],
) -> Result<Statement, DbErr> {
    let targets: Vec<Target> = rows
        .iter()
        .map(|(change, values)| Target {
            change,
            columns,
            values,
        })
        .collect();
    let json = serde_json::to_string(&targets).map_err(|error| DbErr::Custom(error.to_string()))?;
    let sql = format!(
        "UPDATE actions SET {assignments} \
         FROM (SELECT (element ->> 'expected_version')::int AS expected_version, target.* \
               FROM json_array_elements($1::json) AS element, \
                    json_populate_record(NULL::actions, element) AS target) AS v \
         WHERE actions.id = v.id AND actions.location_id = v.location_id \
         AND actions.version = v.expected_version RETURNING {returned}",
        assignments = assignments(columns),
        returned = returned(),
    );
    Ok(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [json.into()],
    ))
}

/// One row's conditional update as a JSON object.
struct Target<'a> {
    change: &'a PreparedChange,
    columns: &'a [String],
    values: &'a [Value],
}

impl Serialize for Target<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut target = serializer.serialize_map(Some(self.columns.len() + 3))?;
        target.serialize_entry("id", &self.change.id)?;
        target.serialize_entry("location_id", &self.change.location_id)?;
        target.serialize_entry("expected_version", &self.change.expected_version)?;
        for (column, value) in self.columns.iter().zip(self.values) {
            target.serialize_entry(column, &Field(value))?;
        }
        target.end()
    }
}

/// `WITH v(...) AS (VALUES ...) UPDATE actions SET ... FROM v WHERE <row at its version>`, on
/// SQLite, where binding many parameters costs little.
fn values_update_statement(
    backend: DbBackend,
    columns: &[String],
    rows: &[(&PreparedChange, Vec<Value>)],
) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * (columns.len() + 3));
    let tuple = format!("({})", vec!["?"; columns.len() + 3].join(", "));
    for (change, set) in rows {
        values.push(change.id.into());
        values.push(change.location_id.into());
        values.push(change.expected_version.into());
        values.extend(set.iter().cloned());
    }
    let sql = format!(
        "WITH v (target_id, target_location_id, expected_version, {names}) AS (VALUES {tuples}) \
         UPDATE actions SET {assignments} FROM v \
         WHERE actions.id = v.target_id AND actions.location_id = v.target_location_id \
         AND actions.version = v.expected_version RETURNING {returned}",
        names = columns.join(", "),
        tuples = vec![tuple.as_str(); rows.len()].join(", "),
        assignments = assignments(columns),
        returned = returned(),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// `actions.column, …`: what the updated rows return (the columns of [`TalliedAction`], as
/// the update left them).
fn returned() -> String {
    TalliedAction::COLUMNS
        .iter()
        .map(|column| format!("actions.{}", column.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `column = v.column, …`: each of `columns` set to its new value in `v`.
fn assignments(columns: &[String]) -> String {
    columns
        .iter()
        .map(|column| format!("{column} = v.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SELECT ... ORDER BY id FOR UPDATE`: the rows of `changes`, locked in id order.
async fn lock_in_id_order<C: ConnectionTrait>(
    db: &C,
    changes: &[&PreparedChange],
) -> Result<(), DbErr> {
    let placeholders: Vec<String> = (1..=changes.len()).map(|n| format!("${n}")).collect();
    let ids: Vec<Value> = changes.iter().map(|change| change.id.into()).collect();
    db.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "SELECT id FROM actions WHERE id IN ({}) ORDER BY id FOR UPDATE",
            placeholders.join(", ")
        ),
        ids,
    ))
    .await
    .map(drop)
}
