//! Reading actions: the filtered, sorted, keyset-paginated list and the full detail.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::{
        ActionDetail, ActionEvent, ActionListItem, AgentSummary, CustomerProfile, CustomerSummary,
        Decisions, Draft, HistoryEntry, HistoryKind, Page, Trigger,
    },
    variables::{self, Escape, StandardFields},
    ActionStatus, Confidence, Lifecycle,
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{parse_json, parse_stored, StoreError};
use crate::db::entities::{action_events, actions, agents, customer_history, customers, locations};

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: u64 = 200;
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// How much of a customer's history the detail panel shows.
const DETAIL_HISTORY_LIMIT: u64 = 25;
/// How many earlier proactive actions the detail panel shows.
const DETAIL_EARLIER_ACTIONS_LIMIT: u64 = 10;

/// A column the list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    ExpiresAt,
    Confidence,
}

impl SortField {
    const ALL: [(SortField, &'static str); 3] = [
        (SortField::CreatedAt, "created_at"),
        (SortField::ExpiresAt, "expires_at"),
        (SortField::Confidence, "confidence"),
    ];

    fn column(self) -> actions::Column {
        match self {
            SortField::CreatedAt => actions::Column::CreatedAt,
            SortField::ExpiresAt => actions::Column::ExpiresAt,
            SortField::Confidence => actions::Column::Confidence,
        }
    }

    /// The row's value of this column, as a cursor carries it.
    fn value_of(self, row: &ListRow) -> CursorValue {
        match self {
            SortField::CreatedAt => CursorValue::Time(row.created_at),
            SortField::ExpiresAt => CursorValue::Time(row.expires_at),
            SortField::Confidence => CursorValue::Int(i64::from(row.confidence)),
        }
    }
}

/// A list order: a column and a direction; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Self {
        Sort {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, String> {
        let (descending, name) = match value.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, value),
        };
        SortField::ALL
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(field, _)| Sort {
                field: *field,
                descending,
            })
            .ok_or_else(|| {
                let known: Vec<_> = SortField::ALL.iter().map(|(_, name)| *name).collect();
                format!(
                    "`{value}` is not a sortable column; expected one of: {} (prefix `-` for descending)",
                    known.join(", ")
                )
            })
    }
}

impl std::fmt::Display for Sort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = SortField::ALL
            .iter()
            .find(|(field, _)| *field == self.field)
            .map_or("", |(_, name)| name);
        write!(f, "{}{name}", if self.descending { "-" } else { "" })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum CursorValue {
    Int(i64),
    Time(DateTime<Utc>),
}

/// Where the previous page ended: the sort it was made for, and the last row's sort value and id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    sort: String,
    after: CursorValue,
    id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serialising plain data cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor made by [`Cursor::encode`] for the same `sort`.
    pub fn decode(token: &str, sort: Sort) -> Result<Cursor, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| "not a cursor returned by this API".to_owned())?;
        let cursor: Cursor = serde_json::from_slice(&bytes)
            .map_err(|_| "not a cursor returned by this API".to_owned())?;
        if cursor.sort != sort.to_string() {
            return Err(format!(
                "this cursor belongs to sort `{}`, not `{sort}`; start again without a cursor",
                cursor.sort
            ));
        }
        let value_fits = matches!(
            (sort.field, &cursor.after),
            (
                SortField::CreatedAt | SortField::ExpiresAt,
                CursorValue::Time(_)
            ) | (SortField::Confidence, CursorValue::Int(_))
        );
        if !value_fits {
            return Err("not a cursor returned by this API".to_owned());
        }
        Ok(cursor)
    }
}

/// Which actions to list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListFilter {
    /// The segments; at least one.
    pub statuses: Vec<ActionStatus>,
}

/// A request for one page of the list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: ListFilter,
    pub sort: Sort,
    pub limit: u64,
    pub after: Option<Cursor>,
}

/// The rows whose status, as [`Lifecycle::status_at`] reads it at `now`, is `status`. This is
/// the SQL twin of the domain rule, so a list never shows an action as pending after its expiry
/// even when the sweep has not run yet.
pub(crate) fn status_is(status: ActionStatus, now: DateTime<Utc>) -> Condition {
    use actions::Column as C;
    let stored = |s: ActionStatus| C::Status.eq(s.as_str());
    let open = || C::ExpiresAt.gt(now);
    let deferred_undecided = || {
        Condition::all()
            .add(stored(ActionStatus::Deferred))
            .add(C::ApprovedAwaitingSend.eq(false))
    };
    match status {
        ActionStatus::Pending => Condition::any()
            .add(
                Condition::all()
                    .add(stored(ActionStatus::Pending))
                    .add(open()),
            )
            .add(
                Condition::all()
                    .add(stored(ActionStatus::Snoozed))
                    .add(C::SnoozedUntil.lte(now))
                    .add(open()),
            )
            .add(
                deferred_undecided()
                    .add(C::DeferredUntil.lte(now))
                    .add(open()),
            ),
        ActionStatus::Snoozed => Condition::all()
            .add(stored(ActionStatus::Snoozed))
            .add(C::SnoozedUntil.gt(now))
            .add(open()),
        ActionStatus::Deferred => Condition::all()
            .add(stored(ActionStatus::Deferred))
            .add(C::DeferredUntil.gt(now))
            .add(
                Condition::any()
                    .add(C::ApprovedAwaitingSend.eq(true))
                    .add(open()),
            ),
        ActionStatus::Expired => Condition::any()
            .add(stored(ActionStatus::Expired))
            .add(
                Condition::all()
                    .add(C::Status.is_in([
                        ActionStatus::Pending.as_str(),
                        ActionStatus::Snoozed.as_str(),
                    ]))
                    .add(C::ExpiresAt.lte(now)),
            )
            .add(deferred_undecided().add(C::ExpiresAt.lte(now))),
        ActionStatus::Approved => Condition::any().add(stored(ActionStatus::Approved)).add(
            Condition::all()
                .add(stored(ActionStatus::Deferred))
                .add(C::ApprovedAwaitingSend.eq(true))
                .add(C::DeferredUntil.lte(now)),
        ),
        ActionStatus::Rejected | ActionStatus::AutoExecuted => Condition::all().add(stored(status)),
    }
}

/// The columns a list row needs, from the action and its customer and agent.
#[derive(Debug, FromQueryResult)]
struct ListRow {
    id: Uuid,
    headline: String,
    action_type: String,
    channel: Option<String>,
    confidence: i16,
    priority: String,
    status: String,
    version: i32,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    snoozed_until: Option<DateTime<Utc>>,
    deferred_until: Option<DateTime<Utc>>,
    approved_awaiting_send: bool,
    customer_id: Uuid,
    customer_full_name: String,
    customer_company: Option<String>,
    customer_type: String,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    customer_plan: Option<String>,
    agent_name: String,
    agent_id: Uuid,
    variables: serde_json::Value,
}

impl ListRow {
    /// The row as the list shows it, its headline filled in as the customer would read it.
    fn into_item(
        self,
        now: DateTime<Utc>,
        location_name: &str,
    ) -> Result<ActionListItem, StoreError> {
        let action_variables: BTreeMap<String, String> = parse_json(self.variables)?;
        let values = variables::values(
            StandardFields {
                customer_name: &self.customer_full_name,
                company: self.customer_company.as_deref(),
                email: self.customer_email.as_deref(),
                phone: self.customer_phone.as_deref(),
                plan: self.customer_plan.as_deref(),
                location_name,
            },
            &action_variables,
        );
        let subject = variables::render(&self.headline, &values, Escape::None).text;
        let lifecycle = Lifecycle {
            status: parse_stored(&self.status)?,
            expires_at: self.expires_at,
            snoozed_until: self.snoozed_until,
            deferred_until: self.deferred_until,
            approved_awaiting_send: self.approved_awaiting_send,
        };
        Ok(ActionListItem {
            id: self.id,
            subject,
            customer: CustomerSummary {
                id: self.customer_id,
                full_name: self.customer_full_name,
                company: self.customer_company,
                customer_type: parse_stored(&self.customer_type)?,
            },
            agent: AgentSummary {
                id: self.agent_id,
                name: self.agent_name,
            },
            action_type: parse_stored(&self.action_type)?,
            channel: self.channel.as_deref().map(parse_stored).transpose()?,
            confidence: confidence(self.confidence)?,
            priority: parse_stored(&self.priority)?,
            status: lifecycle.status_at(now),
            created_at: self.created_at,
            expires_at: self.expires_at,
            version: self.version,
        })
    }
}

fn confidence(stored: i16) -> Result<Confidence, StoreError> {
    Confidence::try_from(i64::from(stored)).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// Actions joined with their customer and agent, selecting a [`ListRow`].
fn list_rows(location_id: Uuid) -> Select<actions::Entity> {
    use actions::Column as A;
    actions::Entity::find()
        .select_only()
        .columns([
            A::Id,
            A::Headline,
            A::ActionType,
            A::Channel,
            A::Confidence,
            A::Priority,
            A::Status,
            A::Version,
            A::CreatedAt,
            A::ExpiresAt,
            A::SnoozedUntil,
            A::DeferredUntil,
            A::ApprovedAwaitingSend,
            A::CustomerId,
            A::AgentId,
            A::Variables,
        ])
        .column_as(customers::Column::FullName, "customer_full_name")
        .column_as(customers::Column::Company, "customer_company")
        .column_as(customers::Column::CustomerType, "customer_type")
        .column_as(customers::Column::Email, "customer_email")
        .column_as(customers::Column::Phone, "customer_phone")
        .column_as(customers::Column::Plan, "customer_plan")
        .column_as(agents::Column::Name, "agent_name")
        .join(JoinType::InnerJoin, actions::Relation::Customer.def())
        .join(JoinType::InnerJoin, actions::Relation::Agent.def())
        .filter(A::LocationId.eq(location_id))
}

/// After the cursor's row, in the order of `sort`.
fn after_cursor(sort: Sort, cursor: &Cursor) -> Condition {
    let column = sort.field.column();
    let value: sea_orm::Value = match &cursor.after {
        CursorValue::Int(v) => (*v).into(),
        CursorValue::Time(v) => (*v).into(),
    };
    let (beyond, id_beyond) = if sort.descending {
        (column.lt(value.clone()), actions::Column::Id.lt(cursor.id))
    } else {
        (column.gt(value.clone()), actions::Column::Id.gt(cursor.id))
    };
    Condition::any()
        .add(beyond)
        .add(Condition::all().add(column.eq(value)).add(id_beyond))
}

/// One page of the list.
#[tracing::instrument(skip_all, fields(location_id = %location.id))]
pub async fn list(
    db: &DatabaseConnection,
    location: &locations::Model,
    query: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Page<ActionListItem>, StoreError> {
    let segments = query
        .filter
        .statuses
        .iter()
        .fold(Condition::any(), |any, status| {
            any.add(status_is(*status, now))
        });
    let filtered = list_rows(location.id).filter(segments);
    let total = filtered.clone().count(db).await?;

    let order = if query.sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut page = filtered
        .order_by(query.sort.field.column(), order.clone())
        .order_by(actions::Column::Id, order);
    if let Some(cursor) = &query.after {
        page = page.filter(after_cursor(query.sort, cursor));
    }
    // One extra row tells whether there is a next page.
    let mut rows = page
        .limit(query.limit + 1)
        .into_model::<ListRow>()
        .all(db)
        .await?;
    let next_cursor = if rows.len() as u64 > query.limit {
        rows.truncate(query.limit as usize);
        rows.last().map(|last| {
            Cursor {
                sort: query.sort.to_string(),
                after: query.sort.field.value_of(last),
                id: last.id,
            }
            .encode()
        })
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|row| row.into_item(now, &location.name))
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next_cursor,
        total,
    })
}

/// The lifecycle stored on an action row.
pub(crate) fn lifecycle_of(action: &actions::Model) -> Result<Lifecycle, StoreError> {
    Ok(Lifecycle {
        status: parse_stored(&action.status)?,
        expires_at: action.expires_at,
        snoozed_until: action.snoozed_until,
        deferred_until: action.deferred_until,
        approved_awaiting_send: action.approved_awaiting_send,
    })
}

fn not_found(id: Uuid) -> StoreError {
    StoreError::NotFound(format!("No action {id} in this location."))
}

/// One action in full, with its customer, agent, history and the customer's context.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn get(
    db: &DatabaseConnection,
    location: &locations::Model,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<ActionDetail, StoreError> {
    let location_id = location.id;
    let action = actions::Entity::find_by_id(id)
        .filter(actions::Column::LocationId.eq(location_id))
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    let customer = customers::Entity::find_by_id(action.customer_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("action {id} has no customer")))?;
    let agent = agents::Entity::find_by_id(action.agent_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("action {id} has no agent")))?;
    let events = action_events::Entity::find()
        .filter(action_events::Column::LocationId.eq(location_id))
        .filter(action_events::Column::ActionId.eq(id))
        .order_by_asc(action_events::Column::Version)
        .order_by_asc(action_events::Column::OccurredAt)
        .all(db)
        .await?;
    let history = customer_history::Entity::find()
        .filter(customer_history::Column::LocationId.eq(location_id))
        .filter(customer_history::Column::CustomerId.eq(customer.id))
        .order_by_desc(customer_history::Column::OccurredAt)
        .limit(DETAIL_HISTORY_LIMIT)
        .all(db)
        .await?;
    let earlier = list_rows(location_id)
        .filter(actions::Column::CustomerId.eq(customer.id))
        .filter(actions::Column::Id.ne(id))
        .filter(actions::Column::CreatedAt.lte(action.created_at))
        .order_by_desc(actions::Column::CreatedAt)
        .order_by_desc(actions::Column::Id)
        .limit(DETAIL_EARLIER_ACTIONS_LIMIT)
        .into_model::<ListRow>()
        .all(db)
        .await?;

    let lifecycle = lifecycle_of(&action)?;
    let channel = action.channel.as_deref().map(parse_stored).transpose()?;
    let variables: BTreeMap<String, String> = parse_json(action.variables)?;
    let is_email = channel == Some(inbox_domain::Channel::Email);
    let draft = Draft {
        to: match channel {
            Some(inbox_domain::Channel::Email) => customer.email.clone(),
            Some(inbox_domain::Channel::Voice) => customer.phone.clone(),
            None => None,
        },
        from: is_email.then(|| location.sending_address.clone()),
        subject: action.subject,
        body: action.body,
        script: action.script,
        tone: action.tone.as_deref().map(parse_stored).transpose()?,
        estimated_duration_seconds: action.estimated_duration_seconds,
        signature: is_email.then(|| location.signature.clone()),
        variables,
    };
    Ok(ActionDetail {
        id: action.id,
        status: lifecycle.status_at(now),
        version: action.version,
        action_type: parse_stored(&action.action_type)?,
        channel,
        priority: parse_stored(&action.priority)?,
        confidence: confidence(action.confidence)?,
        confidence_factors: parse_json(action.confidence_factors)?,
        trigger: Trigger {
            summary: action.trigger_summary,
            data: action.trigger_data,
        },
        draft,
        customer: CustomerProfile {
            id: customer.id,
            full_name: customer.full_name,
            company: customer.company,
            customer_type: parse_stored(&customer.customer_type)?,
            email: customer.email,
            phone: customer.phone,
            plan: customer.plan,
            photo_url: customer.photo_url,
        },
        agent: AgentSummary {
            id: agent.id,
            name: agent.name,
        },
        external_id: action.external_id,
        created_at: action.created_at,
        updated_at: action.updated_at,
        expires_at: action.expires_at,
        not_before: action.not_before,
        decisions: Decisions {
            first_reviewed_at: action.first_reviewed_at,
            approved_at: action.approved_at,
            rejected_at: action.rejected_at,
            rejection_reason: action
                .rejection_reason
                .as_deref()
                .map(parse_stored)
                .transpose()?,
            rejection_note: action.rejection_note,
            snoozed_until: action.snoozed_until,
            snooze_note: action.snooze_note,
            deferred_until: action.deferred_until,
            expired_at: action.expired_at,
            auto_executed_at: action.auto_executed_at,
        },
        history: events
            .into_iter()
            .map(event_view)
            .collect::<Result<_, _>>()?,
        customer_history: history
            .into_iter()
            .map(|entry| {
                Ok(HistoryEntry {
                    kind: parse_json::<HistoryKind>(serde_json::Value::String(entry.kind))?,
                    occurred_at: entry.occurred_at,
                    summary: entry.summary,
                    data: entry.data,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        earlier_actions: earlier
            .into_iter()
            .map(|row| row.into_item(now, &location.name))
            .collect::<Result<_, _>>()?,
    })
}

fn event_view(event: action_events::Model) -> Result<ActionEvent, StoreError> {
    Ok(ActionEvent {
        id: event.id,
        kind: event.kind,
        from_status: event.from_status.as_deref().map(parse_stored).transpose()?,
        to_status: event.to_status.as_deref().map(parse_stored).transpose()?,
        actor: event.actor,
        occurred_at: event.occurred_at,
        version: event.version,
        data: event.data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_an_optional_minus() {
        assert_eq!("-created_at".parse::<Sort>(), Ok(Sort::default()));
        let by_confidence: Sort = "confidence".parse().expect("known column");
        assert!(!by_confidence.descending);
        assert_eq!(by_confidence.to_string(), "confidence");
        assert!("-colour".parse::<Sort>().is_err());
    }

    #[test]
    fn a_cursor_only_fits_its_own_sort() {
        let cursor = Cursor {
            sort: "-created_at".into(),
            after: CursorValue::Time(DateTime::<Utc>::UNIX_EPOCH),
            id: Uuid::nil(),
        };
        let token = cursor.encode();
        assert_eq!(Cursor::decode(&token, Sort::default()), Ok(cursor));
        let other = "confidence".parse().expect("known column");
        assert!(Cursor::decode(&token, other).is_err());
        assert!(Cursor::decode("not-a-cursor", Sort::default()).is_err());
    }
}
