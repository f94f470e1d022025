//! Customers: their profile, their history, and their actions.

use chrono::{DateTime, Utc};
use inbox_domain::dto::{CustomerDetail, CustomerProfile, HistoryEntry};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    actions::list,
    entities::{customer_history, customers, locations},
    StoreError,
};

/// How much history and how many actions a customer profile shows.
const PROFILE_LIMIT: u64 = 100;

/// A customer profile row as the API shows it.
pub fn profile(customer: customers::Model) -> CustomerProfile {
    CustomerProfile {
        id: customer.id,
        full_name: customer.full_name,
        company: customer.company,
        customer_type: customer.customer_type,
        email: customer.email,
        phone: customer.phone,
        plan: customer.plan,
        photo_url: customer.photo_url,
    }
}

/// A history row as the API shows it.
pub fn history_entry(entry: customer_history::Model) -> HistoryEntry {
    HistoryEntry {
        kind: entry.kind,
        occurred_at: entry.occurred_at,
        summary: entry.summary,
        data: entry.data,
    }
}

/// The customer's recent history, newest first.
pub async fn recent_history(
    db: &DatabaseConnection,
    location_id: Uuid,
    customer_id: Uuid,
    limit: u64,
) -> Result<Vec<HistoryEntry>, StoreError> {
    Ok(customer_history::Entity::find()
        .filter(customer_history::Column::LocationId.eq(location_id))
        .filter(customer_history::Column::CustomerId.eq(customer_id))
        .order_by_desc(customer_history::Column::OccurredAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(history_entry)
        .collect())
}

/// One customer of the location, if it exists.
pub async fn find(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
) -> Result<Option<customers::Model>, DbErr> {
    customers::Entity::find_by_id(id)
        .filter(customers::Column::LocationId.eq(location_id))
        .one(db)
        .await
}

/// One customer with their history and proactive actions.
pub async fn get(
    db: &DatabaseConnection,
    location: &locations::Model,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<CustomerDetail, StoreError> {
    let customer = find(db, location.id, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("No customer {id} in this location.")))?;
    let history = recent_history(db, location.id, id, PROFILE_LIMIT).await?;
    let actions = list::for_customer(db, location, id, None, PROFILE_LIMIT, now).await?;
    Ok(CustomerDetail {
        profile: profile(customer),
        history,
        actions,
    })
}
