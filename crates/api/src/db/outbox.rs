//! What the two outboxes (customer deliveries and webhook messages) share: the claim that hands
//! due rows to one worker at a time. Both tables name their bookkeeping columns alike: `id`,
//! `state`, `deliver_at`, `lease_until` and `updated_at`.

use chrono::{DateTime, Duration, Utc};
use inbox_domain::delivery::DeliveryState;
use sea_orm::{
    sea_query::{Alias, Expr, LockBehavior, LockType, Query},
    Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, Order,
};

/// Claims up to `limit` rows of `E` that are due at `now` (or whose worker's lease ran out) for
/// `lease`, in one statement, so two workers never hold the same one: PostgreSQL skips rows
/// another worker has locked; SQLite runs one writer at a time. The rows come back in no
/// particular order: callers put them in the order to send.
pub async fn claim_due<E: EntityTrait + Default>(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
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
