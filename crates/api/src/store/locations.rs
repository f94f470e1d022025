use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::StoreError;
use crate::db::entities::locations;

/// The location with this slug.
pub async fn find_by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<locations::Model, StoreError> {
    locations::Entity::find()
        .filter(locations::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("No location `{slug}`.")))
}
