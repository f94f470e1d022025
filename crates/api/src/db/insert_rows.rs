//! Many new rows of one table in one statement. On PostgreSQL they travel as one JSON text
//! (`json_populate_recordset`) instead of a multi-row `VALUES` list: a bulk approval's 500
//! history entries or messages make a list of thousands of parameters, which the server spends
//! about 10 ms parsing and binding, each time. SQLite takes the `VALUES` list. Their values
//! are written as JSON by [`Field`].

use chrono::SecondsFormat;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic, IntoActiveModel, Iterable,
    ModelTrait, Statement, Value,
};
use serde::{
    ser::{Error as _, SerializeMap},
    Serialize, Serializer,
};

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
    let all: Vec<E::Column> = E::Column::iter().collect();
    let columns: Vec<(E::Column, &str)> = all
        .iter()
        .map(|column| (*column, column.as_str()))
        .collect();
    let names: Vec<&str> = columns.iter().map(|(_, name)| *name).collect();
    // Written straight out as JSON text: building a `serde_json::Value` of each row first took
    // as long again.
    let records = serde_json::to_string(&Records {
        columns: &columns,
        rows: &rows,
    })
    .map_err(|error| DbErr::Custom(error.to_string()))?;
    let (entity, names) = (E::default(), names.join(", "));
    let table = entity.table_name();
    db.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "INSERT INTO {table} ({names}) \
             SELECT {names} FROM json_populate_recordset(NULL::{table}, $1::json)"
        ),
        [records.into()],
    ))
    .await
    .map(drop)
}

/// Rows as a JSON array of objects, one member per column.
struct Records<'a, C, M> {
    columns: &'a [(C, &'a str)],
    rows: &'a [M],
}

impl<C, M> Serialize for Records<'_, C, M>
where
    C: Copy,
    M: ModelTrait<Entity: EntityTrait<Column = C>>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.rows.iter().map(|row| Record {
            columns: self.columns,
            row,
        }))
    }
}

/// One row as a JSON object.
struct Record<'a, C, M> {
    columns: &'a [(C, &'a str)],
    row: &'a M,
}

impl<C, M> Serialize for Record<'_, C, M>
where
    C: Copy,
    M: ModelTrait<Entity: EntityTrait<Column = C>>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut record = serializer.serialize_map(Some(self.columns.len()))?;
        for (column, name) in self.columns {
            record.serialize_entry(name, &Field(&self.row.get(*column)))?;
        }
        record.end()
    }
}

/// One value as the JSON that `json_populate_recordset` reads back as the column's value (the
/// conditional updates of many rows read theirs the same way).
pub(crate) struct Field<'a>(pub &'a Value);

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Bool(Some(v)) => serializer.serialize_bool(*v),
            Value::SmallInt(Some(v)) => serializer.serialize_i16(*v),
            Value::Int(Some(v)) => serializer.serialize_i32(*v),
            Value::BigInt(Some(v)) => serializer.serialize_i64(*v),
            Value::Uuid(Some(v)) => serializer.collect_str(v),
            // Cut to the microsecond, as a bound parameter is: a time written here and one
            // written by an update compare equal when they were equal.
            Value::ChronoDateTimeUtc(Some(v)) => {
                serializer.serialize_str(&v.to_rfc3339_opts(SecondsFormat::Micros, true))
            }
            Value::String(Some(v)) => serializer.serialize_str(v),
            Value::Json(Some(v)) => v.serialize(serializer),
            Value::Bool(None)
            | Value::SmallInt(None)
            | Value::Int(None)
            | Value::BigInt(None)
            | Value::Uuid(None)
            | Value::ChronoDateTimeUtc(None)
            | Value::String(None)
            | Value::Json(None) => serializer.serialize_none(),
            other => Err(S::Error::custom(format!("no JSON for a {other:?} column"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use serde_json::Value as Json;

    use super::*;

    fn json_field(value: Value) -> Result<Json, serde_json::Error> {
        serde_json::to_value(Field(&value))
    }

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
