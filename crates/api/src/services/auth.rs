//! Reviewers sign in with a password (Argon2id); integrations use API keys. Session tokens and
//! keys are random 256-bit secrets of which only a SHA-256 hash is stored: high-entropy secrets
//! need no slow hash, and a stolen database yields no usable token.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    auth::{ApiKey, CreatedApiKey, Role, Scope},
    problem::FieldErrors,
};
use rand::RngCore;
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::ServiceError;
use crate::db::{
    self, agents,
    auth::scopes_of,
    entities::{api_keys, locations, sessions, users},
    StoreError,
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
    Ok(db::locations::find(db, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no location {id}")))?)
}

/// Resolves a session token or API key at `now`.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Authenticated, AuthError> {
    let hash = token_hash(token);
    if token.starts_with(KEY_PREFIX) {
        let (key, location) = db::auth::active_key(db, &hash)
            .await?
            .ok_or(AuthError::BadToken)?;
        return Ok(Authenticated {
            location,
            scopes: scopes_of(&key)?,
            principal: Principal::Key(key),
        });
    }
    if !token.starts_with(SESSION_PREFIX) {
        return Err(AuthError::BadToken);
    }
    let (session, user, location) = db::auth::active_session(db, &hash, now)
        .await?
        .ok_or(AuthError::BadToken)?;
    Ok(Authenticated {
        location,
        scopes: user.role.scopes(),
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
        Principal::Key(key) => db::auth::key_is_active(db, key.id).await?,
        Principal::User { session, .. } => db::auth::session_is_active(db, session.id, now).await?,
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
    let user = db::auth::user_by_email(db, &email.trim().to_lowercase()).await?;
    // Argon2 spends tens of milliseconds of CPU on purpose: on a blocking thread, so that
    // sign-ins never hold up the threads that answer requests. An unknown email is checked
    // against a decoy, so it takes as long as a wrong password.
    let (hash, given) = (
        user.as_ref().map(|user| user.password_hash.clone()),
        password.to_owned(),
    );
    let matches = tokio::task::spawn_blocking(move || match &hash {
        Some(hash) => password_matches(hash, &given),
        None => password_matches(decoy_hash(), &given),
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| matches) else {
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
    db::auth::insert_session(db, session.clone()).await?;
    Ok((
        token,
        Authenticated {
            location: location(db, user.location_id).await?,
            scopes: user.role.scopes(),
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
    Ok(db::auth::revoke_session(db, session_id, now).await?)
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
        role,
        created_at: now,
        notification_preferences: None,
        link_secret: None,
    };
    db::auth::insert_user(db, user.clone()).await?;
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

/// The longest name an API key may have (it is shown in lists and history).
const MAX_KEY_NAME_CHARS: usize = 100;

/// Makes an API key for a location; the token in the answer is its only copy.
pub async fn create_api_key(
    db: &DatabaseConnection,
    location_id: Uuid,
    name: &str,
    scopes: &[Scope],
    agent_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<CreatedApiKey, ServiceError> {
    let mut errors = FieldErrors::default();
    errors.check_not_blank("name", Some(name), "must not be blank");
    errors.check_len("name", Some(name), MAX_KEY_NAME_CHARS);
    errors.check_one_line("name", Some(name));
    if scopes.is_empty() {
        errors.add("scopes", "give at least one scope");
    }
    if let Some(agent_id) = agent_id {
        if agents::find(db, location_id, agent_id).await?.is_none() {
            errors.add("agent_id", "no such agent in this location");
        }
    }
    errors.finish(()).map_err(ServiceError::Invalid)?;
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
    db::auth::insert_key(db, key.clone()).await?;
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
    db::auth::keys(db, location_id)
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
    let key = db::auth::find_key(db, location_id, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("No API key {id} in this location.")))?;
    db::auth::revoke_key(db, location_id, id, now).await?;
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
