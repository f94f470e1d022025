//! Rate-limit windows: one row per key and minute, counted up by each request.

use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};

use super::entities::rate_windows::{self, Column};

/// Counts one more request for `key` in `minute`; how many that makes.
pub async fn count_one<C: ConnectionTrait>(db: &C, key: &str, minute: i64) -> Result<i32, DbErr> {
    let counted = rate_windows::Entity::insert(rate_windows::ActiveModel {
        key: Set(key.to_owned()),
        minute: Set(minute),
        count: Set(1),
    })
    .on_conflict(
        OnConflict::columns([Column::Key, Column::Minute])
            .value(
                Column::Count,
                Expr::col((rate_windows::Entity, Column::Count)).add(1),
            )
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    Ok(counted.count)
}

/// Forgets the windows before `minute`: they can no longer limit anyone.
pub async fn forget_before<C: ConnectionTrait>(db: &C, minute: i64) -> Result<u64, DbErr> {
    let deleted = rate_windows::Entity::delete_many()
        .filter(Column::Minute.lt(minute))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
