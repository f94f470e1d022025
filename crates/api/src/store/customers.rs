use chrono::{DateTime, Utc};
use inbox_domain::dto::{CustomerDetail, CustomerProfile, HistoryEntry, HistoryKind};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{actions, parse_json, parse_stored, StoreError};
use crate::db::entities::{customer_history, customers, locations};

/// How much history and how many actions a customer profile shows.
const PROFILE_LIMIT: u64 = 100;

/// A customer profile row as the API shows it.
pub fn profile(customer: customers::Model) -> Result<CustomerProfile, StoreError> {
    Ok(CustomerProfile {
        id: customer.id,
        full_name: customer.full_name,
        company: customer.company,
        customer_type: parse_stored(&customer.customer_type)?,
        email: customer.email,
        phone: customer.phone,
        plan: customer.plan,
        photo_url: customer.photo_url,
    })
}

/// A history row as the API shows it.
pub fn history_entry(entry: customer_history::Model) -> Result<HistoryEntry, StoreError> {
    Ok(HistoryEntry {
        kind: parse_json::<HistoryKind>(serde_json::Value::String(entry.kind))?,
        occurred_at: entry.occurred_at,
        summary: entry.summary,
        data: entry.data,
    })
}

/// The customer's recent history, newest first.
pub async fn recent_history(
    db: &DatabaseConnection,
    location_id: Uuid,
    customer_id: Uuid,
    limit: u64,
) -> Result<Vec<HistoryEntry>, StoreError> {
    customer_history::Entity::find()
        .filter(customer_history::Column::LocationId.eq(location_id))
        .filter(customer_history::Column::CustomerId.eq(customer_id))
        .order_by_desc(customer_history::Column::OccurredAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(history_entry)
        .collect()
}

/// One customer with their history and proactive actions.
pub async fn get(
    db: &DatabaseConnection,
    location: &locations::Model,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<CustomerDetail, StoreError> {
    let customer = customers::Entity::find_by_id(id)
        .filter(customers::Column::LocationId.eq(location.id))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("No customer {id} in this location.")))?;
    let history = recent_history(db, location.id, id, PROFILE_LIMIT).await?;
    let actions = actions::for_customer(db, location, id, None, PROFILE_LIMIT, now).await?;
    Ok(CustomerDetail {
        profile: profile(customer)?,
        history,
        actions,
    })
}
