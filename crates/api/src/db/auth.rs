//! Users, their sessions, and API keys. Tokens are looked up by their hash only.

use chrono::{DateTime, Utc};
use inbox_domain::auth::Scope;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    entities::{api_keys, locations, sessions, users},
    parse_json, StoreError,
};

/// The scopes an API key carries.
pub fn scopes_of(key: &api_keys::Model) -> Result<Vec<Scope>, StoreError> {
    parse_json(key.scopes.clone())
}

/// The unrevoked API key with this token hash, and its location: one indexed lookup.
pub async fn active_key(
    db: &DatabaseConnection,
    hash: &str,
) -> Result<Option<(api_keys::Model, locations::Model)>, DbErr> {
    let found = api_keys::Entity::find()
        .find_also_related(locations::Entity)
        .filter(api_keys::Column::TokenHash.eq(hash))
        .filter(api_keys::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.and_then(|(key, location)| Some((key, location?))))
}

/// The unrevoked, unexpired session with this token hash, its user and its location: one
/// indexed lookup.
pub async fn active_session(
    db: &DatabaseConnection,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(sessions::Model, users::Model, locations::Model)>, DbErr> {
    let found = sessions::Entity::find()
        .find_also_related(users::Entity)
        .find_also_related(locations::Entity)
        .filter(sessions::Column::TokenHash.eq(hash))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(found.and_then(|(session, user, location)| Some((session, user?, location?))))
}

/// Whether an API key is still unrevoked.
pub async fn key_is_active(db: &DatabaseConnection, id: Uuid) -> Result<bool, DbErr> {
    Ok(api_keys::Entity::find_by_id(id)
        .filter(api_keys::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// Whether a session is still unrevoked and unexpired at `now`.
pub async fn session_is_active(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(sessions::Entity::find_by_id(id)
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .is_some())
}

/// The user with this (normalised) email.
pub async fn user_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn insert_user(db: &DatabaseConnection, user: users::Model) -> Result<(), DbErr> {
    users::Entity::insert(user.into_active_model())
        .exec(db)
        .await
        .map(drop)
}

pub async fn insert_session(
    db: &DatabaseConnection,
    session: sessions::Model,
) -> Result<(), DbErr> {
    sessions::Entity::insert(session.into_active_model())
        .exec(db)
        .await
        .map(drop)
}

/// Ends a session at `now`.
pub async fn revoke_session(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sessions::Entity::update_many()
        .set(sessions::ActiveModel {
            revoked_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(sessions::Column::Id.eq(id))
        .exec(db)
        .await
        .map(drop)
}

pub async fn insert_key(db: &DatabaseConnection, key: api_keys::Model) -> Result<(), DbErr> {
    api_keys::Entity::insert(key.into_active_model())
        .exec(db)
        .await
        .map(drop)
}

/// The location's API keys, newest first.
pub async fn keys(
    db: &DatabaseConnection,
    location_id: Uuid,
) -> Result<Vec<api_keys::Model>, DbErr> {
    api_keys::Entity::find()
        .filter(api_keys::Column::LocationId.eq(location_id))
        .order_by_desc(api_keys::Column::CreatedAt)
        .all(db)
        .await
}

/// One API key of the location, if it exists.
pub async fn find_key(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
) -> Result<Option<api_keys::Model>, DbErr> {
    api_keys::Entity::find_by_id(id)
        .filter(api_keys::Column::LocationId.eq(location_id))
        .one(db)
        .await
}

/// Revokes a key of the location at `now`, unless it already was.
pub async fn revoke_key(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_keys::Entity::update_many()
        .set(api_keys::ActiveModel {
            revoked_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(api_keys::Column::LocationId.eq(location_id))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .map(drop)
}

/// Forgets the sessions that ended (expired or signed out) before `cutoff`; returns how many.
pub async fn forget_sessions_ended_before(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let deleted = sessions::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(sessions::Column::ExpiresAt.lt(cutoff))
                .add(sessions::Column::RevokedAt.lt(cutoff)),
        )
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
