//! `Idempotency-Key`: a retried POST with the same key and body gets the first response; the
//! same key with another body is refused.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, SqlErr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::entities::idempotency_keys;

/// The longest key accepted.
pub const MAX_KEY_CHARS: usize = 255;
/// A first attempt still unfinished after this long died (a crash, a dropped connection): a
/// retry takes its key over.
const ABANDONED_AFTER: chrono::Duration = chrono::Duration::minutes(2);

/// The key as stored: the caller's key within the caller's own keys, so that two agents that
/// happen to use the same key never collide. A fixed-length hash fits any key and caller.
pub fn scoped_key(caller: &str, key: &str) -> String {
    format!(
        "{:x}",
        Sha256::digest(format!("{caller}\n{key}").as_bytes())
    )
}

/// A response as stored for replays.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Claim {
    /// First use: handle it, then [`complete`] or [`release`] the claim.
    New(Uuid),
    /// A replay of a finished request: answer with its response.
    Replay(StoredResponse),
    /// The first request committed its change but its response was lost (the server failed
    /// after the commit): answer with where its action stands now, never run it again.
    Committed { action_id: Option<Uuid> },
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key is still being handled.
    InProgress,
}

/// Identifies a request: its method, path, `If-Match` version and body.
pub fn request_hash(method: &str, path: &str, if_match: Option<&str>, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    for part in [
        method.as_bytes(),
        path.as_bytes(),
        if_match.unwrap_or_default().as_bytes(),
    ] {
        hasher.update(part);
        hasher.update([0]);
    }
    hasher.update(body);
    format!("{:x}", hasher.finalize())
}

/// Claims `key` for this request, or says how it was used before. The unique index on
/// (location, key) decides between two requests racing with one key.
pub async fn claim(
    db: &DatabaseConnection,
    location_id: Uuid,
    key: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim, sea_orm::DbErr> {
    let row = idempotency_keys::Model {
        id: Uuid::now_v7(),
        location_id,
        key: key.to_owned(),
        request_hash: hash.to_owned(),
        response_status: None,
        response_body: None,
        created_at: now,
        committed_at: None,
        action_id: None,
    };
    match idempotency_keys::Entity::insert(row.clone().into_active_model())
        .exec(db)
        .await
    {
        Ok(_) => return Ok(Claim::New(row.id)),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
        Err(error) => return Err(error),
    }
    let existing = idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::LocationId.eq(location_id))
        .filter(idempotency_keys::Column::Key.eq(key))
        .one(db)
        .await?;
    Ok(match existing {
        Some(existing) if existing.request_hash != hash => Claim::Mismatch,
        Some(idempotency_keys::Model {
            response_status: Some(status),
            response_body: Some(body),
            ..
        }) => Claim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            body,
        }),
        Some(idempotency_keys::Model {
            committed_at: Some(_),
            action_id,
            ..
        }) => Claim::Committed { action_id },
        Some(abandoned) if abandoned.created_at <= now - ABANDONED_AFTER => {
            // Take the claim over, unless another retry just did.
            let taken = idempotency_keys::Entity::update_many()
                .set(idempotency_keys::ActiveModel {
                    created_at: Set(now),
                    ..Default::default()
                })
                .filter(idempotency_keys::Column::Id.eq(abandoned.id))
                .filter(idempotency_keys::Column::CreatedAt.eq(abandoned.created_at))
                .filter(idempotency_keys::Column::ResponseStatus.is_null())
                .filter(idempotency_keys::Column::CommittedAt.is_null())
                .exec(db)
                .await?;
            if taken.rows_affected == 1 {
                Claim::New(abandoned.id)
            } else {
                Claim::InProgress
            }
        }
        // Still running, or released between our insert and our read: the client may retry.
        _ => Claim::InProgress,
    })
}

/// The `Idempotency-Key` claim a request holds, marked committed in the transaction that
/// commits the request's change: from then on a retry never runs the request again, even when
/// the server fails before it can store the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimMark {
    pub claim_id: Uuid,
    pub at: DateTime<Utc>,
}

impl ClaimMark {
    /// Writes the mark, with the action the request created or changed when it was one.
    pub async fn write<C: ConnectionTrait>(
        self,
        db: &C,
        action_id: Option<Uuid>,
    ) -> Result<(), sea_orm::DbErr> {
        idempotency_keys::Entity::update_many()
            .set(idempotency_keys::ActiveModel {
                committed_at: Set(Some(self.at)),
                action_id: Set(action_id),
                ..Default::default()
            })
            .filter(idempotency_keys::Column::Id.eq(self.claim_id))
            .exec(db)
            .await
            .map(drop)
    }
}

/// Stores the response of a claimed request for its replays.
pub async fn complete(
    db: &DatabaseConnection,
    claim_id: Uuid,
    response: &StoredResponse,
) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::Entity::update_many()
        .set(idempotency_keys::ActiveModel {
            response_status: Set(Some(i16::try_from(response.status).unwrap_or(500))),
            response_body: Set(Some(response.body.clone())),
            ..Default::default()
        })
        .filter(idempotency_keys::Column::Id.eq(claim_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees a claimed key whose request failed on our side before it committed anything, so a
/// retry can run again. A request that committed keeps its key.
pub async fn release(db: &DatabaseConnection, claim_id: Uuid) -> Result<(), sea_orm::DbErr> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::Id.eq(claim_id))
        .filter(idempotency_keys::Column::CommittedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the keys first used before `cutoff`; returns how many.
pub async fn forget_before(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let deleted = idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
