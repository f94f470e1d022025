//! Many conditional updates in one statement: the rows of a bulk decision are written together
//! instead of one round trip each (500 approvals: one `UPDATE … FROM (VALUES …)`).

use std::collections::{BTreeMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbBackend, DbErr, IdenStatic, Iterable,
    Statement, Value,
};
use uuid::Uuid;

use super::{actions, PreparedChange};

/// SQLite takes at most 32,766 parameters in a statement; PostgreSQL 65,535.
const PARAMS_PER_STATEMENT: usize = 30_000;

/// Applies each change whose row is still at its expected version; returns the ids applied.
/// Changes that set the same columns share a statement. On PostgreSQL the rows are locked in id
/// order first, as one-by-one updates in id order did, so two bulk requests over the same rows
/// wait for each other instead of deadlocking.
pub(super) async fn update_rows<C: ConnectionTrait>(
    db: &C,
    changes: &[&PreparedChange],
) -> Result<HashSet<Uuid>, DbErr> {
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
    let mut applied = HashSet::new();
    for (columns, rows) in by_columns {
        let per_row = columns.len() + 3;
        for chunk in rows.chunks((PARAMS_PER_STATEMENT / per_row).max(1)) {
            let statement = update_statement(backend, &columns, chunk);
            for row in db.query_all(statement).await? {
                applied.insert(row.try_get::<Uuid>("", "id")?);
            }
        }
    }
    Ok(applied)
}

/// `WITH v(...) AS (VALUES ...) UPDATE actions SET ... FROM v WHERE <row at its version>`.
fn update_statement(
    backend: DbBackend,
    columns: &[String],
    rows: &[(&PreparedChange, Vec<Value>)],
) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * (columns.len() + 3));
    let mut tuples = Vec::with_capacity(rows.len());
    for (change, set) in rows {
        let first = values.len();
        values.push(change.id.into());
        values.push(change.location_id.into());
        values.push(change.expected_version.into());
        values.extend(set.iter().cloned());
        let placeholders: Vec<String> = (first + 1..=values.len())
            .map(|n| placeholder(backend, n))
            .collect();
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    let names = columns.join(", ");
    let assignments: Vec<String> = columns
        .iter()
        .map(|column| format!("{column} = v.{column}"))
        .collect();
    // The target's columns are not named `id`, so `RETURNING id` is the updated row's.
    let sql = format!(
        "WITH v (target_id, target_location_id, expected_version, {names}) AS (VALUES {tuples}) \
         UPDATE actions SET {assignments} FROM v \
         WHERE actions.id = v.target_id AND actions.location_id = v.target_location_id \
         AND actions.version = v.expected_version RETURNING id",
        tuples = tuples.join(", "),
        assignments = assignments.join(", "),
    );
    Statement::from_sql_and_values(backend, sql, values)
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
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
