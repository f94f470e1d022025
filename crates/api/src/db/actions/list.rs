//! The action list: filtered, sorted on any column, keyset-paginated.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use inbox_domain::{
    delivery::DeliveryState,
    dto::{ActionListItem, AgentSummary, CustomerSummary, Page},
    sort::{Sort, SortField},
    variables::{self, Escape, StandardFields},
    ActionStatus, ActionType, Channel, Confidence, CustomerType, Lifecycle, Priority,
};
use sea_orm::{
    sea_query::{CaseStatement, Expr, Func, LikeExpr, Query, SelectStatement, SimpleExpr},
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{
    entities::{actions, agents, customers, deliveries, locations},
    parse_json, search_key, StoreError,
};

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: u64 = 200;
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u64 = 50;

/// How the list sorts: the SQL of each column, and the value a cursor carries.
trait SortSql {
    fn expr(self) -> SimpleExpr;
    fn value_of(self, row: &ListRow) -> CursorValue;
    fn fits(self, value: &CursorValue) -> bool;
}

impl SortSql for SortField {
    /// The SQL the list orders by; columns are qualified because customers and agents are joined.
    fn expr(self) -> SimpleExpr {
        let action = |column: actions::Column| Expr::col((actions::Entity, column));
        match self {
            SortField::Subject => action(actions::Column::Headline).into(),
            SortField::Customer => {
                Expr::col((customers::Entity, customers::Column::FullName)).into()
            }
            SortField::Agent => Expr::col((agents::Entity, agents::Column::Name)).into(),
            SortField::ActionType => action(actions::Column::ActionType).into(),
            // Notes and tasks have no channel; they sort as the empty string.
            SortField::Channel => Func::coalesce([
                action(actions::Column::Channel).into(),
                Expr::val("").into(),
            ])
            .into(),
            SortField::Confidence => action(actions::Column::Confidence).into(),
            SortField::Priority => Priority::ALL
                .iter()
                .fold(CaseStatement::new(), |case, priority| {
                    case.case(
                        action(actions::Column::Priority).eq(*priority),
                        priority_rank(*priority),
                    )
                })
                .finally(-1)
                .into(),
            SortField::Status => action(actions::Column::Status).into(),
            SortField::CreatedAt => action(actions::Column::CreatedAt).into(),
            SortField::ExpiresAt => action(actions::Column::ExpiresAt).into(),
        }
    }

    /// The row's value of this column, as a cursor carries it.
    fn value_of(self, row: &ListRow) -> CursorValue {
        match self {
            SortField::Subject => CursorValue::Text(row.headline.clone()),
            SortField::Customer => CursorValue::Text(row.customer_full_name.clone()),
            SortField::Agent => CursorValue::Text(row.agent_name.clone()),
            SortField::ActionType => CursorValue::Text(row.action_type.to_string()),
            SortField::Channel => {
                CursorValue::Text(row.channel.map(|c| c.to_string()).unwrap_or_default())
            }
            SortField::Confidence => CursorValue::Int(i64::from(row.confidence)),
            SortField::Priority => CursorValue::Int(priority_rank(row.priority)),
            SortField::Status => CursorValue::Text(row.status.to_string()),
            SortField::CreatedAt => CursorValue::Time(row.created_at),
            SortField::ExpiresAt => CursorValue::Time(row.expires_at),
        }
    }

    fn fits(self, value: &CursorValue) -> bool {
        match value {
            CursorValue::Int(_) => matches!(self, SortField::Confidence | SortField::Priority),
            CursorValue::Time(_) => matches!(self, SortField::CreatedAt | SortField::ExpiresAt),
            CursorValue::Text(_) => matches!(
                self,
                SortField::Subject
                    | SortField::Customer
                    | SortField::Agent
                    | SortField::ActionType
                    | SortField::Channel
                    | SortField::Status
            ),
        }
    }
}

fn priority_rank(priority: Priority) -> i64 {
    match priority {
        Priority::Low => 0,
        Priority::Medium => 1,
        Priority::High => 2,
        Priority::Critical => 3,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CursorValue {
    Int(i64),
    Time(DateTime<Utc>),
    Text(String),
}

impl CursorValue {
    fn into_value(self) -> sea_orm::Value {
        match self {
            CursorValue::Int(v) => v.into(),
            CursorValue::Time(v) => v.into(),
            CursorValue::Text(v) => v.into(),
        }
    }
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
        let foreign = || "not a cursor returned by this API".to_owned();
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| foreign())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| foreign())?;
        if cursor.sort != sort.to_string() {
            return Err(format!(
                "this cursor belongs to sort `{}`, not `{sort}`; start again without a cursor",
                cursor.sort
            ));
        }
        if !sort.field.fits(&cursor.after) {
            return Err(foreign());
        }
        Ok(cursor)
    }
}

/// Which actions to list. Empty lists and `None` mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// The segments; at least one.
    pub statuses: Vec<ActionStatus>,
    pub agent_id: Option<Uuid>,
    /// Customer name or company, any case, any accents.
    pub customer_search: Option<String>,
    pub confidence_min: Option<u8>,
    pub confidence_max: Option<u8>,
    pub priorities: Vec<Priority>,
    pub channels: Vec<Channel>,
    pub action_types: Vec<ActionType>,
    /// The state of the action's message (its latest delivery that was not taken back).
    pub delivery_states: Vec<DeliveryState>,
    pub created_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub created_to: Option<DateTime<Utc>>,
    pub expires_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub expires_to: Option<DateTime<Utc>>,
}

impl ListFilter {
    fn condition(&self, now: DateTime<Utc>) -> Condition {
        use actions::Column as A;
        let mut all =
            Condition::all().add(self.statuses.iter().fold(Condition::any(), |any, status| {
                any.add(status_is(*status, now))
            }));
        if let Some(agent_id) = self.agent_id {
            all = all.add(A::AgentId.eq(agent_id));
        }
        if let Some(search) = self
            .customer_search
            .as_deref()
            .map(|q| search_key(&[Some(q)]))
        {
            let escaped = search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            all = all.add(
                Expr::col((customers::Entity, customers::Column::SearchKey))
                    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
            );
        }
        if let Some(min) = self.confidence_min {
            all = all.add(A::Confidence.gte(i16::from(min)));
        }
        if let Some(max) = self.confidence_max {
            all = all.add(A::Confidence.lte(i16::from(max)));
        }
        if !self.priorities.is_empty() {
            all = all.add(A::Priority.is_in(self.priorities.iter().copied()));
        }
        if !self.channels.is_empty() {
            all = all.add(A::Channel.is_in(self.channels.iter().copied()));
        }
        if !self.action_types.is_empty() {
            all = all.add(A::ActionType.is_in(self.action_types.iter().copied()));
        }
        if !self.delivery_states.is_empty() {
            all = all.add(Expr::exists(
                live_delivery()
                    .and_where(
                        Expr::col((deliveries::Entity, deliveries::Column::State))
                            .is_in(self.delivery_states.iter().map(|state| state.as_str())),
                    )
                    .to_owned(),
            ));
        }
        for (bound, column, lower) in [
            (self.created_from, A::CreatedAt, true),
            (self.created_to, A::CreatedAt, false),
            (self.expires_from, A::ExpiresAt, true),
            (self.expires_to, A::ExpiresAt, false),
        ] {
            if let Some(at) = bound {
                all = all.add(if lower { column.gte(at) } else { column.lt(at) });
            }
        }
        all
    }
}

/// The action's deliveries that were not taken back (there is at most one: an undo cancels
/// the delivery before a new approval makes another), for a subquery per listed row.
fn live_delivery() -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(deliveries::Entity)
        .and_where(
            Expr::col((deliveries::Entity, deliveries::Column::ActionId))
                .equals((actions::Entity, actions::Column::Id)),
        )
        .and_where(
            Expr::col((deliveries::Entity, deliveries::Column::State))
                .ne(DeliveryState::Cancelled.as_str()),
        )
        .to_owned()
}

/// The state of the action's live delivery, as a column of the list.
fn delivery_state_column() -> SimpleExpr {
    let mut select = live_delivery();
    // No ORDER BY: there is at most one, and an order tempts the planner to walk every
    // delivery by id instead of looking the action's up.
    select
        .clear_selects()
        .column((deliveries::Entity, deliveries::Column::State))
        .limit(1);
    SimpleExpr::SubQuery(None, Box::new(select.into_sub_query_statement()))
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
    let stored = |s: ActionStatus| C::Status.eq(s);
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
                    .add(C::Status.is_in([ActionStatus::Pending, ActionStatus::Snoozed]))
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
    action_type: ActionType,
    channel: Option<Channel>,
    confidence: i16,
    priority: Priority,
    status: ActionStatus,
    version: i32,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    snoozed_until: Option<DateTime<Utc>>,
    deferred_until: Option<DateTime<Utc>>,
    approved_awaiting_send: bool,
    customer_id: Uuid,
    customer_full_name: String,
    customer_company: Option<String>,
    customer_type: CustomerType,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    customer_plan: Option<String>,
    agent_name: String,
    agent_id: Uuid,
    variables: serde_json::Value,
    delivery_state: Option<DeliveryState>,
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
            status: self.status,
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
                customer_type: self.customer_type,
            },
            agent: AgentSummary {
                id: self.agent_id,
                name: self.agent_name,
            },
            action_type: self.action_type,
            channel: self.channel,
            confidence: confidence(self.confidence)?,
            priority: self.priority,
            status: lifecycle.status_at(now),
            created_at: self.created_at,
            expires_at: self.expires_at,
            version: self.version,
            delivery_state: self.delivery_state,
        })
    }
}

pub(super) fn confidence(stored: i16) -> Result<Confidence, StoreError> {
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
    let value = cursor.after.clone().into_value();
    let column = || Expr::expr(sort.field.expr());
    let (beyond, id_beyond) = if sort.descending {
        (
            column().lt(value.clone()),
            actions::Column::Id.lt(cursor.id),
        )
    } else {
        (
            column().gt(value.clone()),
            actions::Column::Id.gt(cursor.id),
        )
    };
    Condition::any()
        .add(beyond)
        .add(Condition::all().add(column().eq(value)).add(id_beyond))
}

/// One page of the list.
#[tracing::instrument(skip_all, fields(location_id = %location.id))]
pub async fn list(
    db: &DatabaseConnection,
    location: &locations::Model,
    query: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Page<ActionListItem>, StoreError> {
    let filtered = list_rows(location.id).filter(query.filter.condition(now));
    let total = filtered.clone().count(db).await?;

    let order = if query.sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut page = filtered
        .order_by(query.sort.field.expr(), order.clone())
        .order_by(actions::Column::Id, order);
    if let Some(cursor) = &query.after {
        page = page.filter(after_cursor(query.sort, cursor));
    }
    // One extra row tells whether there is a next page.
    let mut rows = page
        .expr_as(delivery_state_column(), "delivery_state")
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

/// A customer's proactive actions, newest first; with `before`, only those proposed before that
/// action (and not it).
pub async fn for_customer(
    db: &DatabaseConnection,
    location: &locations::Model,
    customer_id: Uuid,
    before: Option<(Uuid, DateTime<Utc>)>,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<ActionListItem>, StoreError> {
    let mut rows = list_rows(location.id).filter(actions::Column::CustomerId.eq(customer_id));
    if let Some((id, created_at)) = before {
        rows = rows
            .filter(actions::Column::Id.ne(id))
            .filter(actions::Column::CreatedAt.lte(created_at));
    }
    rows.expr_as(delivery_state_column(), "delivery_state")
        .order_by_desc(actions::Column::CreatedAt)
        .order_by_desc(actions::Column::Id)
        .limit(limit)
        .into_model::<ListRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.into_item(now, &location.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
