//! Reviewers sign in with a password (Argon2id); integrations use API keys. Session tokens and
//! keys are random 256-bit secrets of which only a SHA-256 hash is stored: high-entropy secrets
//! need no slow hash, and a stolen database yields no usable token.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, Utc};
use inbox_domain::auth::{ApiKey, CreatedApiKey, Role, Scope};
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ServiceError;
use crate::{
    db::entities::{agents, api_keys, locations, sessions, users},
    store::{parse_json, parse_stored, StoreError},
};

/// API keys start with this, so a leaked one is recognisable (and scannable).
pub const KEY_PREFIX: &str = "inbox_key_";
/// Session tokens start with this.
pub const SESSION_PREFIX: &str = "inbox_ses_";

/// A new random secret with `prefix`.
fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How a token is stored and looked up.
pub fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// An Argon2id hash of `password`, in PHC format.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .map(|hash| hash.to_string())
        .map_err(|error| StoreError::Corrupt(format!("password hashing failed: {error}")).into())
}

fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a password nobody has, checked when the email is unknown so that a wrong email
/// takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&new_secret("decoy")).unwrap_or_default())
}

/// Who a valid token belongs to.
#[derive(Debug, Clone)]
pub enum Principal {
    User {
        user: users::Model,
        session: sessions::Model,
    },
    Key(api_keys::Model),
}

/// An authenticated caller: their location, who they are and what they may do.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub location: locations::Model,
    pub principal: Principal,
    pub scopes: Vec<Scope>,
}

/// Why a sign-in or token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("the token is unknown, revoked or expired")]
    BadToken,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sea_orm::DbErr> for AuthError {
    fn from(error: sea_orm::DbErr) -> Self {
        AuthError::Service(error.into())
    }
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        AuthError::Service(error.into())
    }
}

async fn location(db: &DatabaseConnection, id: Uuid) -> Result<locations::Model, AuthError> {
    Ok(locations::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no location {id}")))?)
}

fn role_of(user: &users::Model) -> Result<Role, StoreError> {
    parse_stored(&user.role)
}

fn scopes_of(key: &api_keys::Model) -> Result<Vec<Scope>, StoreError> {
    let names: Vec<String> = parse_json(key.scopes.clone())?;
    names.iter().map(|name| parse_stored(name)).collect()
}

/// Resolves a session token or API key at `now`.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Authenticated, AuthError> {
    let hash = token_hash(token);
    if token.starts_with(KEY_PREFIX) {
        let key = api_keys::Entity::find()
            .filter(api_keys::Column::TokenHash.eq(hash))
            .filter(api_keys::Column::RevokedAt.is_null())
            .one(db)
            .await?
            .ok_or(AuthError::BadToken)?;
        return Ok(Authenticated {
            location: location(db, key.location_id).await?,
            scopes: scopes_of(&key)?,
            principal: Principal::Key(key),
        });
    }
    if !token.starts_with(SESSION_PREFIX) {
        return Err(AuthError::BadToken);
    }
    let session = sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(hash))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .ok_or(AuthError::BadToken)?;
    let user = users::Entity::find_by_id(session.user_id)
        .one(db)
        .await?
        .ok_or(AuthError::BadToken)?;
    Ok(Authenticated {
        location: location(db, session.location_id).await?,
        scopes: role_of(&user)?.scopes(),
        principal: Principal::User { user, session },
    })
}

/// Whether credentials that were valid when a long request (the event stream) began still are.
pub async fn still_valid(
    db: &DatabaseConnection,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    Ok(match principal {
        Principal::Key(key) => api_keys::Entity::find_by_id(key.id)
            .filter(api_keys::Column::RevokedAt.is_null())
            .one(db)
            .await?
            .is_some(),
        Principal::User { session, .. } => sessions::Entity::find_by_id(session.id)
            .filter(sessions::Column::RevokedAt.is_null())
            .filter(sessions::Column::ExpiresAt.gt(now))
            .one(db)
            .await?
            .is_some(),
    })
}

/// Signs a person in: a new session and its token (to go in an HttpOnly cookie).
pub async fn sign_in(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
    lifetime: Duration,
) -> Result<(String, Authenticated), AuthError> {
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?;
    let Some(user) = user.filter(|user| password_matches(&user.password_hash, password)) else {
        let _ = password_matches(decoy_hash(), password);
        return Err(AuthError::BadCredentials);
    };
    let token = new_secret(SESSION_PREFIX);
    let session = sessions::Model {
        id: Uuid::now_v7(),
        token_hash: token_hash(&token),
        user_id: user.id,
        location_id: user.location_id,
        csrf_token: new_secret(""),
        created_at: now,
        expires_at: now + lifetime,
        revoked_at: None,
    };
    sessions::Entity::insert(session.clone().into_active_model())
        .exec(db)
        .await?;
    Ok((
        token,
        Authenticated {
            location: location(db, user.location_id).await?,
            scopes: role_of(&user)?.scopes(),
            principal: Principal::User { user, session },
        },
    ))
}

/// Ends a session at once.
pub async fn sign_out(
    db: &DatabaseConnection,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    sessions::Entity::update_many()
        .set(sessions::ActiveModel {
            revoked_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(sessions::Column::Id.eq(session_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds a person to a location.
pub async fn create_user(
    db: &DatabaseConnection,
    location_id: Uuid,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
    now: DateTime<Utc>,
) -> Result<users::Model, ServiceError> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        return Err(ServiceError::invalid("email", "not an email address"));
    }
    if password.chars().count() < 10 {
        return Err(ServiceError::invalid(
            "password",
            "must be at least 10 characters",
        ));
    }
    let user = users::Model {
        id: Uuid::now_v7(),
        location_id,
        email,
        name: name.trim().to_owned(),
        password_hash: hash_password(password)?,
        role: role.as_str().to_owned(),
        created_at: now,
    };
    users::Entity::insert(user.clone().into_active_model())
        .exec(db)
        .await?;
    Ok(user)
}

pub fn key_view(key: &api_keys::Model) -> Result<ApiKey, StoreError> {
    Ok(ApiKey {
        id: key.id,
        name: key.name.clone(),
        scopes: scopes_of(key)?,
        agent_id: key.agent_id,
        created_at: key.created_at,
        revoked_at: key.revoked_at,
    })
}

/// Makes an API key for a location; the token in the answer is its only copy.
pub async fn create_api_key(
    db: &DatabaseConnection,
    location_id: Uuid,
    name: &str,
    scopes: &[Scope],
    agent_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<CreatedApiKey, ServiceError> {
    let mut issues = Vec::new();
    if name.trim().is_empty() {
        issues.push(inbox_domain::review::FieldIssue::new(
            "name",
            "must not be blank",
        ));
    }
    if scopes.is_empty() {
        issues.push(inbox_domain::review::FieldIssue::new(
            "scopes",
            "give at least one scope",
        ));
    }
    if let Some(agent_id) = agent_id {
        let agent = agents::Entity::find_by_id(agent_id)
            .filter(agents::Column::LocationId.eq(location_id))
            .one(db)
            .await?;
        if agent.is_none() {
            issues.push(inbox_domain::review::FieldIssue::new(
                "agent_id",
                "no such agent in this location",
            ));
        }
    }
    if !issues.is_empty() {
        return Err(ServiceError::Invalid(issues));
    }
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let token = new_secret(KEY_PREFIX);
    let key = api_keys::Model {
        id: Uuid::now_v7(),
        location_id,
        name: name.trim().to_owned(),
        token_hash: token_hash(&token),
        scopes: serde_json::json!(scopes),
        agent_id,
        created_at: now,
        revoked_at: None,
    };
    api_keys::Entity::insert(key.clone().into_active_model())
        .exec(db)
        .await?;
    Ok(CreatedApiKey {
        key: key_view(&key)?,
        token,
    })
}

/// The location's API keys, newest first, without secrets.
pub async fn list_api_keys(
    db: &DatabaseConnection,
    location_id: Uuid,
) -> Result<Vec<ApiKey>, ServiceError> {
    api_keys::Entity::find()
        .filter(api_keys::Column::LocationId.eq(location_id))
        .order_by_desc(api_keys::Column::CreatedAt)
        .all(db)
        .await?
        .iter()
        .map(|key| key_view(key).map_err(ServiceError::from))
        .collect()
}

/// Revokes a key; it stops working with the next request.
pub async fn revoke_api_key(
    db: &DatabaseConnection,
    location_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<ApiKey, ServiceError> {
    let key = api_keys::Entity::find_by_id(id)
        .filter(api_keys::Column::LocationId.eq(location_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("No API key {id} in this location.")))?;
    if key.revoked_at.is_none() {
        api_keys::Entity::update_many()
            .set(api_keys::ActiveModel {
                revoked_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(api_keys::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    Ok(key_view(&api_keys::Model {
        revoked_at: key.revoked_at.or(Some(now)),
        ..key
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse battery").expect("hashed");
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches(&hash, "correct horse battery"));
        assert!(!password_matches(&hash, "correct horse battery!"));
        assert!(!password_matches("not a hash", "anything"));
    }

    #[test]
    fn secrets_are_long_random_and_stored_only_as_hashes() {
        let (a, b) = (new_secret(KEY_PREFIX), new_secret(KEY_PREFIX));
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX) && a.len() > 50);
        assert_eq!(token_hash(&a).len(), 64);
        assert!(!token_hash(&a).contains(&a[KEY_PREFIX.len()..]));
    }
}
