//! Telling reviewers: their preferences and link keys, what waits for them, and the notices
//! outbox (written once per period or action, claimed by one worker at a time).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    delivery::DeliveryState,
    notices::{DigestLine, NoticeChannel, NoticeKind, NotificationPreferences, WaitingCount},
    variables, ActionStatus, Priority,
};
use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, Func, OnConflict, SimpleExpr},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{
    entities::{actions, locations, notices, used_decision_links, users},
    outbox, StoreError,
};

/// A notice to put in the outbox: the one way a notice row is built.
pub struct NewNotice {
    pub location_id: Uuid,
    pub user_id: Option<Uuid>,
    pub channel: NoticeChannel,
    pub kind: NoticeKind,
    pub dedup_key: String,
    pub recipient: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
}

impl NewNotice {
    fn into_row(self, now: DateTime<Utc>) -> notices::Model {
        notices::Model {
            id: Uuid::now_v7(),
            location_id: self.location_id,
            user_id: self.user_id,
            channel: self.channel,
            kind: self.kind,
            dedup_key: self.dedup_key,
            recipient: self.recipient,
            subject: self.subject,
            body_text: self.body_text,
            body_html: self.body_html,
            state: DeliveryState::Scheduled,
            deliver_at: now,
            lease_until: None,
            attempts: 0,
            last_error: None,
            created_at: now,
            updated_at: now,
            sent_at: None,
        }
    }
}

/// A reviewer's preferences, the defaults (all off) until they set theirs.
pub fn preferences_of(user: &users::Model) -> Result<NotificationPreferences, StoreError> {
    user.notification_preferences.as_deref().map_or(
        Ok(NotificationPreferences::default()),
        |stored| {
            serde_json::from_str(stored).map_err(|error| {
                StoreError::Corrupt(format!("notification preferences of {}: {error}", user.id))
            })
        },
    )
}

pub async fn set_preferences(
    db: &DatabaseConnection,
    user_id: Uuid,
    preferences: &NotificationPreferences,
) -> Result<(), DbErr> {
    let stored = serde_json::to_string(preferences).expect("preferences serialise");
    users::Entity::update_many()
        .col_expr(users::Column::NotificationPreferences, Expr::value(stored))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn user(db: &DatabaseConnection, user_id: Uuid) -> Result<Option<users::Model>, DbErr> {
    users::Entity::find_by_id(user_id).one(db).await
}

/// The key the reviewer's links are signed with, made the first time it is needed (two callers
/// making one at once keep whichever was stored first).
pub async fn link_secret(
    db: &DatabaseConnection,
    user_id: Uuid,
    fresh: String,
) -> Result<Option<String>, DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::LinkSecret, Expr::value(fresh))
        .filter(users::Column::Id.eq(user_id))
        .filter(users::Column::LinkSecret.is_null())
        .exec(db)
        .await?;
    Ok(user(db, user_id).await?.and_then(|user| user.link_secret))
}

/// Replaces the reviewer's link key: every link signed with the old one stops working.
pub async fn replace_link_secret(
    db: &DatabaseConnection,
    user_id: Uuid,
    fresh: String,
) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::LinkSecret, Expr::value(fresh))
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The location's reviewers who set preferences.
pub async fn reviewers_with_preferences(
    db: &DatabaseConnection,
    location_id: Uuid,
) -> Result<Vec<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::LocationId.eq(location_id))
        .filter(users::Column::NotificationPreferences.is_not_null())
        .order_by_asc(users::Column::Id)
        .all(db)
        .await
}

/// The location's admins.
pub async fn admins(
    db: &DatabaseConnection,
    location_id: Uuid,
) -> Result<Vec<users::Model>, DbErr> {
    users::Entity::find()
        .filter(users::Column::LocationId.eq(location_id))
        .filter(users::Column::Role.eq(inbox_domain::auth::Role::Admin))
        .order_by_asc(users::Column::Id)
        .all(db)
        .await
}

/// Locations someone is to be told about: a reviewer set preferences, or a team channel is set.
pub async fn locations_to_tell(db: &DatabaseConnection) -> Result<Vec<locations::Model>, DbErr> {
    let with_reviewers: Vec<Uuid> = users::Entity::find()
        .select_only()
        .column(users::Column::LocationId)
        .filter(users::Column::NotificationPreferences.is_not_null())
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    locations::Entity::find()
        .filter(
            locations::Column::Id
                .is_in(with_reviewers)
                .or(locations::Column::SlackWebhookUrl.is_not_null()),
        )
        .order_by_asc(locations::Column::Id)
        .all(db)
        .await
}

/// What waits for review in the location, per agent and priority, with how much of it expires
/// by `soon`: one pass over the pending segment's index.
pub async fn waiting_counts(
    db: &DatabaseConnection,
    location_id: Uuid,
    soon: DateTime<Utc>,
) -> Result<Vec<WaitingCount>, DbErr> {
    let found: Vec<(Uuid, Priority, i64, i64)> = actions::Entity::find()
        .select_only()
        .column(actions::Column::AgentId)
        .column(actions::Column::Priority)
        .column_as(Expr::col(Asterisk).count(), "waiting")
        .column_as(
            SimpleExpr::from(Func::cast_as(
                Func::sum(Expr::case(actions::Column::ExpiresAt.lte(soon), 1).finally(0)),
                Alias::new("BIGINT"),
            )),
            "expiring_soon",
        )
        .filter(actions::Column::LocationId.eq(location_id))
        .filter(actions::Column::Status.eq(ActionStatus::Pending))
        .group_by(actions::Column::AgentId)
        .group_by(actions::Column::Priority)
        .into_tuple()
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .map(
            |(agent_id, priority, waiting, expiring_soon)| WaitingCount {
                agent_id,
                priority,
                waiting: u64::try_from(waiting).unwrap_or_default(),
                expiring_soon: u64::try_from(expiring_soon).unwrap_or_default(),
            },
        )
        .collect())
}

/// What a notice calls the action: its subject (or headline) with the action's own variables
/// and the names of its customer and location filled in (the customer's other details are not
/// read for a notice; any placeholder left stays as written).
pub fn subject_of(row: &actions::Model, location_name: &str) -> String {
    let own: BTreeMap<String, String> =
        serde_json::from_value(row.variables.clone()).unwrap_or_default();
    let values = variables::values(
        variables::StandardFields {
            customer_name: &row.customer_name,
            company: None,
            email: None,
            phone: None,
            plan: None,
            location_name,
        },
        &own,
    );
    let text = row.subject.as_deref().unwrap_or(&row.headline);
    variables::render(text, &values, variables::Escape::None).text
}

fn line(row: actions::Model, location: &locations::Model, soon: DateTime<Utc>) -> DigestLine {
    DigestLine {
        action_id: row.id,
        version: row.version,
        agent_id: row.agent_id,
        subject: subject_of(&row, &location.name),
        customer: row.customer_name,
        priority: row.priority,
        expires_at: row.expires_at,
        expiring_soon: row.expires_at <= soon,
    }
}

/// The location's waiting actions that `narrow` picks, in `order` (then by id), at most
/// `limit`, as a notice lists them (expiring soon when by `soon`).
async fn waiting_lines(
    db: &DatabaseConnection,
    location: &locations::Model,
    narrow: Condition,
    order: actions::Column,
    soon: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DigestLine>, DbErr> {
    Ok(actions::Entity::find()
        .filter(actions::Column::LocationId.eq(location.id))
        .filter(actions::Column::Status.eq(ActionStatus::Pending))
        .filter(narrow)
        .order_by_asc(order)
        .order_by_asc(actions::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| line(row, location, soon))
        .collect())
}

/// The location's waiting actions that expire first, at most `limit`.
pub async fn expiring_first(
    db: &DatabaseConnection,
    location: &locations::Model,
    soon: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DigestLine>, DbErr> {
    let all = Condition::all();
    waiting_lines(db, location, all, actions::Column::ExpiresAt, soon, limit).await
}

/// The location's waiting `critical` actions proposed since `since`, the oldest first.
pub async fn critical_since(
    db: &DatabaseConnection,
    location: &locations::Model,
    since: DateTime<Utc>,
    soon: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DigestLine>, DbErr> {
    let critical = Condition::all()
        .add(actions::Column::Priority.eq(Priority::Critical))
        .add(actions::Column::CreatedAt.gte(since));
    waiting_lines(
        db,
        location,
        critical,
        actions::Column::CreatedAt,
        soon,
        limit,
    )
    .await
}

/// The location's waiting actions that expire after `now` and by `until`.
pub async fn expiring_between(
    db: &DatabaseConnection,
    location: &locations::Model,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DigestLine>, DbErr> {
    let expiring = Condition::all()
        .add(actions::Column::ExpiresAt.gt(now))
        .add(actions::Column::ExpiresAt.lte(until));
    waiting_lines(
        db,
        location,
        expiring,
        actions::Column::ExpiresAt,
        until,
        limit,
    )
    .await
}

/// Which of `keys` the location's outbox already holds.
pub async fn already_queued(
    db: &DatabaseConnection,
    location_id: Uuid,
    keys: &[String],
) -> Result<HashSet<String>, DbErr> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<String> = notices::Entity::find()
        .select_only()
        .column(notices::Column::DedupKey)
        .filter(notices::Column::LocationId.eq(location_id))
        .filter(notices::Column::DedupKey.is_in(keys.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// Puts `notice` in the outbox unless one with its key is there already (another replica's
/// sweep, a run of `inbox digest`); whether it was put.
pub async fn enqueue(
    db: &DatabaseConnection,
    notice: NewNotice,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = notices::Entity::insert(notice.into_row(now).into_active_model())
        .on_conflict(
            OnConflict::columns([notices::Column::LocationId, notices::Column::DedupKey])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Claims up to `limit` notices due at `now` for `lease` (see [`outbox::claim_due`]), oldest
/// first; only `location`'s when one is given.
pub async fn claim_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
    location: Option<Uuid>,
) -> Result<Vec<notices::Model>, DbErr> {
    let mut claimed = outbox::claim_due::<notices::Entity>(db, now, lease, limit, location).await?;
    claimed.sort_by_key(|row| (row.deliver_at, row.id));
    Ok(claimed)
}

/// Records one attempt at `notice` (sent, retrying at `deliver_at`, or failed for good), if
/// its worker still holds it.
pub async fn record_attempt(
    db: &DatabaseConnection,
    notice: &notices::Model,
    (state, deliver_at): (DeliveryState, DateTime<Utc>),
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    notices::Entity::update_many()
        .set(notices::ActiveModel {
            state: Set(state),
            attempts: Set(notice.attempts + 1),
            deliver_at: Set(deliver_at),
            lease_until: Set(None),
            last_error: Set(error),
            sent_at: Set((state == DeliveryState::Sent).then_some(now)),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(notices::Column::Id.eq(notice.id))
        .filter(notices::Column::State.eq(DeliveryState::Sending))
        .exec(db)
        .await?;
    Ok(())
}

/// The newest `limit` notices for the reviewer.
pub async fn of_reviewer(
    db: &DatabaseConnection,
    user_id: Uuid,
    limit: u64,
) -> Result<Vec<notices::Model>, DbErr> {
    notices::Entity::find()
        .filter(notices::Column::UserId.eq(user_id))
        .order_by_desc(notices::Column::CreatedAt)
        .order_by_desc(notices::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Marks a one-click link used, in the transaction of its decision; `false` if it was already.
pub async fn use_link<C: ConnectionTrait>(
    db: &C,
    nonce: Uuid,
    user_id: Uuid,
    action_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = used_decision_links::Entity::insert(
        used_decision_links::Model {
            nonce,
            user_id,
            action_id,
            used_at: now,
        }
        .into_active_model(),
    )
    .on_conflict(
        OnConflict::column(used_decision_links::Column::Nonce)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// Whether a one-click link was used.
pub async fn link_used(db: &DatabaseConnection, nonce: Uuid) -> Result<bool, DbErr> {
    Ok(used_decision_links::Entity::find_by_id(nonce)
        .one(db)
        .await?
        .is_some())
}

/// Forgets used links older than any link can be (they could no longer decide anyway).
pub async fn forget_used_links(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(used_decision_links::Entity::delete_many()
        .filter(used_decision_links::Column::UsedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
