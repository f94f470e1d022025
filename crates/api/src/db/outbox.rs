//! What the two outboxes (customer deliveries and webhook messages) share: the claim that hands
//! due rows to one worker at a time. Both tables name their bookkeeping columns alike: `id`,
//! `state`, `deliver_at`, `lease_until` and `updated_at`.

use chrono::{DateTime, Duration, Utc};
use inbox_domain::delivery::DeliveryState;
use inbox_domain::dto::Page;
use sea_orm::{
    sea_query::{Alias, Expr, LockBehavior, LockType, Query},
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

/// Claims up to `limit` rows of `E` that are due at `now` (or whose worker's lease ran out) for
/// `lease`, in one statement, so two workers never hold the same one: PostgreSQL skips rows
/// another worker has locked; SQLite runs one writer at a time. Only `location`'s rows when
/// one is given. The rows come back in no particular order: callers put them in the order to
/// send.
pub async fn claim_due<E: EntityTrait + Default>(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
    location: Option<Uuid>,
) -> Result<Vec<E::Model>, DbErr> {
    let table = Alias::new(E::default().table_name());
    let column = |name: &str| Expr::col((table.clone(), Alias::new(name)));
    let due = Condition::any()
        .add(
            Condition::all()
                .add(column("state").eq(DeliveryState::Scheduled.as_str()))
                .add(column("deliver_at").lte(now)),
        )
        .add(
            Condition::all()
                .add(column("state").eq(DeliveryState::Sending.as_str()))
                .add(column("lease_until").lt(now)),
        );
    let due = match location {
        Some(location_id) => Condition::all()
            .add(column("location_id").eq(location_id))
            .add(due),
        None => due,
    };
    let mut pick = Query::select();
    pick.column((table.clone(), Alias::new("id")))
        .from(table.clone())
        .cond_where(due)
        .order_by((table.clone(), Alias::new("deliver_at")), Order::Asc)
        .order_by((table.clone(), Alias::new("id")), Order::Asc)
        .limit(limit);
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        pick.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let claim = Query::update()
        .table(table.clone())
        .values([
            (Alias::new("state"), DeliveryState::Sending.as_str().into()),
            (Alias::new("lease_until"), (now + lease).into()),
            (Alias::new("updated_at"), now.into()),
        ])
        .and_where(Expr::col(Alias::new("id")).in_subquery(pick))
        .returning_all()
        .to_owned();
    E::find().from_raw_sql(backend.build(&claim)).all(db).await
}

/// Hands claimed rows of `E` back: `scheduled` again and due at once, as if never claimed. Only
/// rows still `sending` are touched (a row whose lease ran out may have been taken over).
pub async fn release<E: EntityTrait + Default>(
    db: &DatabaseConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let table = Alias::new(E::default().table_name());
    let release = Query::update()
        .table(table)
        .values([
            (
                Alias::new("state"),
                DeliveryState::Scheduled.as_str().into(),
            ),
            (
                Alias::new("lease_until"),
                Option::<DateTime<Utc>>::None.into(),
            ),
            (Alias::new("updated_at"), now.into()),
        ])
        .and_where(Expr::col(Alias::new("id")).is_in(ids.iter().copied()))
        .and_where(Expr::col(Alias::new("state")).eq(DeliveryState::Sending.as_str()))
        .to_owned();
    db.execute(db.get_database_backend().build(&release))
        .await?;
    Ok(())
}

/// A page of an outbox's log: the `filtered` rows newest first (ids grow with time), after
/// `cursor`, with how many there are in all.
pub async fn log_page<E>(
    db: &DatabaseConnection,
    filtered: Select<E>,
    id: E::Column,
    id_of: impl Fn(&E::Model) -> Uuid,
    cursor: Option<Uuid>,
    limit: u64,
) -> Result<Page<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let total = filtered.clone().count(db).await?;
    let mut query = filtered;
    if let Some(cursor) = cursor {
        query = query.filter(id.lt(cursor));
    }
    // One extra row tells whether there is a next page.
    let mut rows = query.order_by_desc(id).limit(limit + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| id_of(last).to_string())
    } else {
        None
    };
    Ok(Page {
        items: rows,
        next_cursor,
        total,
        total_exact: true,
    })
}
