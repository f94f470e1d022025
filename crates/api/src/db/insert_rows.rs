//! Many new rows of one table in one statement. On PostgreSQL they travel as one JSON text
//! (`json_populate_recordset`) instead of a multi-row `VALUES` list: a bulk approval's 500
//! history entries or messages make a list of thousands of parameters, which the server spends
//! about 10 ms parsing and binding, each time. SQLite takes the `VALUES` list.

use chrono::SecondsFormat;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, IntoActiveModel, Iterable,
    ModelTrait, Statement, Value,
};
use serde_json::{Map, Value as Json};

/// Inserts `rows` of `E`'s table (nothing for none).
pub async fn insert_rows<E, C>(db: &C, rows: Vec<E::Model>) -> Result<(), DbErr>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    C: ConnectionTrait,
{
    if rows.is_empty() {
        return Ok(());
    }
    if db.get_database_backend() != DbBackend::Postgres {
        return E::insert_many(rows.into_iter().map(IntoActiveModel::into_active_model))
            .exec_without_returning(db)
            .await
            .map(drop);
    }
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let names: Vec<&str> = columns.iter().map(IdenStatic::as_str).collect();
    let records = rows
        .iter()
        .map(|row| {
            let mut record = Map::with_capacity(columns.len());
            for column in &columns {
                record.insert(column.as_str().to_owned(), json_field(row.get(*column))?);
            }
            Ok(Json::Object(record))
        })
        .collect::<Result<Vec<Json>, DbErr>>()?;
    let (entity, names) = (E::default(), names.join(", "));
    let table = entity.table_name();
    db.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "INSERT INTO {table} ({names}) \
             SELECT {names} FROM json_populate_recordset(NULL::{table}, $1::json)"
        ),
        [Json::Array(records).to_string().into()],
    ))
    .await
    .map(drop)
}

/// One value as the JSON that `json_populate_recordset` reads back as the column's value.
fn json_field(value: Value) -> Result<Json, DbErr> {
    Ok(match value {
        Value::Bool(Some(v)) => v.into(),
        Value::SmallInt(Some(v)) => v.into(),
        Value::Int(Some(v)) => v.into(),
        Value::BigInt(Some(v)) => v.into(),
        Value::Uuid(Some(v)) => v.to_string().into(),
        // Cut to the microsecond, as a bound parameter is: a time written here and one written
        // by an update compare equal when they were equal.
        Value::ChronoDateTimeUtc(Some(v)) => v.to_rfc3339_opts(SecondsFormat::Micros, true).into(),
        Value::String(Some(v)) => (*v).into(),
        Value::Json(Some(v)) => *v,
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::Uuid(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::String(None)
        | Value::Json(None) => Json::Null,
        other => return Err(DbErr::Custom(format!("no JSON for a {other:?} column"))),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn times_are_cut_to_the_microsecond_and_nulls_stay_null() {
        let at = Utc
            .timestamp_opt(1_765_000_000, 123_456_789)
            .single()
            .expect("a time");
        assert_eq!(
            json_field(Value::ChronoDateTimeUtc(Some(Box::new(at)))).expect("json"),
            Json::from("2025-12-06T05:46:40.123456Z")
        );
        assert_eq!(json_field(Value::String(None)).expect("json"), Json::Null);
        assert!(json_field(Value::Double(Some(1.5))).is_err());
    }
}
