//! The action list: filtered, sorted on any column, keyset-paginated.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use inbox_domain::{
    delivery::DeliveryState,
    dto::{ActionListItem, AgentSummary, CustomerSummary, Page, PENDING_FOR_CUSTOMER_CAP},
    sort::{Sort, SortField},
    variables::{self, Escape, StandardFields},
    ActionStatus, ActionType, Channel, Confidence, CustomerType, Lifecycle, Priority,
};
use sea_orm::{
    sea_query::{Alias, Asterisk, Expr, LikeExpr, Query, SelectStatement, SimpleExpr, UnionType},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    FromQueryResult, JoinType, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    RelationTrait, Select, Statement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    counts::{self, fired_showing, Fired, FiredRow},
    next_timer_at,
};
use crate::db::{
    entities::{actions, customers, deliveries, locations},
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
    /// The SQL the list orders by: a column of `actions` (qualified, as customers are joined)
    /// that an index `(location_id, status, <column>, id)` walks in order.
    fn expr(self) -> SimpleExpr {
        let action = |column: actions::Column| Expr::col((actions::Entity, column));
        // Columns the database computes (see the migration that adds them), not in the entity.
        let computed = |name: &str| Expr::col((actions::Entity, Alias::new(name))).into();
        match self {
            SortField::Subject => action(actions::Column::Headline).into(),
            SortField::Customer => action(actions::Column::CustomerName).into(),
            SortField::Agent => action(actions::Column::AgentName).into(),
            SortField::ActionType => action(actions::Column::ActionType).into(),
            // Notes and tasks have no channel; they sort as the empty string.
            SortField::Channel => computed("channel_key"),
            SortField::Confidence => action(actions::Column::Confidence).into(),
            // By urgency: the database ranks as `priority_rank` does.
            SortField::Priority => computed("priority_rank"),
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

/// A priority's urgency, as the database's `priority_rank` column computes it.
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
    /// The filter as one condition per way a row can be in the asked segments, each with every
    /// other filter: per segment, the rows stored in it whose timers have not fired (one stored
    /// status, so a `(location_id, status, …)` index serves it), then the `fired` rows that show
    /// one of the segments now, by id (for a backlog, by the rule in SQL). Lists and counts read
    /// each on its own and add them up, where one `OR` of them all would send the planner
    /// through the whole location.
    fn branches(&self, now: DateTime<Utc>, fired: &Fired, backend: DbBackend) -> Vec<Condition> {
        let others = self.others(backend);
        let statuses = self.segments();
        let fired_branch = match fired {
            Fired::Rows(rows) => {
                let shown = |row: &&FiredRow| statuses.contains(&row.shown_at(now));
                let ids: Vec<Uuid> = rows.iter().filter(shown).map(|row| row.id).collect();
                (!ids.is_empty()).then(|| Condition::all().add(actions::Column::Id.is_in(ids)))
            }
            // The same rule in SQL rather than thousands of ids.
            Fired::Backlog => Some(statuses.iter().fold(Condition::any(), |any, status| {
                any.add(fired_showing(*status, now))
            })),
        };
        statuses
            .iter()
            .map(|status| waiting_in(*status, now, backend))
            .chain(fired_branch)
            .map(|branch| Condition::all().add(branch).add(others.clone()))
            .collect()
    }

    /// The asked segments, each once.
    fn segments(&self) -> Vec<ActionStatus> {
        let mut statuses = self.statuses.clone();
        statuses.sort();
        statuses.dedup();
        statuses
    }

    /// Every filter but the segments.
    fn others(&self, backend: DbBackend) -> Condition {
        use actions::Column as A;
        let mut all = Condition::all();
        if let Some(agent_id) = self.agent_id {
            all = all.add(A::AgentId.eq(agent_id));
        }
        if let Some(search) = self
            .customer_search
            .as_deref()
            .map(|q| search_key(&[Some(q)]))
        {
            // A subquery rather than a filter on the joined customer: the planner may then find
            // the few matching customers first and their actions by index, and a count needs
            // no join at all.
            all = all.add(A::CustomerId.in_subquery(customers_matching(&search, backend)));
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

/// The ids of the customers whose search key contains `search` (already folded by
/// [`search_key`]): on PostgreSQL by `LIKE`, which the trigram index serves; on SQLite through
/// the trigram FTS5 table `customer_search`, which needs three characters (shorter texts read
/// every customer by `LIKE`).
fn customers_matching(search: &str, backend: DbBackend) -> SelectStatement {
    if backend == DbBackend::Sqlite && search.chars().count() >= 3 {
        // One phrase: the text as it is, quotes doubled.
        let phrase = format!("\"{}\"", search.replace('"', "\"\""));
        return Query::select()
            .column(Alias::new("customer_id"))
            .from(Alias::new("customer_search"))
            .and_where(Expr::cust_with_values("customer_search MATCH ?", [phrase]))
            .to_owned();
    }
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Query::select()
        .column(customers::Column::Id)
        .from(customers::Entity)
        .and_where(
            Expr::col((customers::Entity, customers::Column::SearchKey))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        )
        .to_owned()
}

/// A request for one page of the list.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: ListFilter,
    pub sort: Sort,
    pub limit: u64,
    pub after: Option<Cursor>,
    /// Whether a filtered list counts every match for `total`, not only up to the server's cap.
    pub exact_count: bool,
}

/// The rows stored with `status` whose timers have not fired: they show `status` now.
fn waiting_in(status: ActionStatus, now: DateTime<Utc>, backend: DbBackend) -> Condition {
    let stored = Condition::all().add(actions::Column::Status.eq(status));
    // A segment is walked by its sort column's index, the timer only checked on the way. SQLite
    // would rather range over the timer's index and sort the whole segment for the page; a
    // unary `+` keeps an index from serving the term.
    let timer = match backend {
        DbBackend::Sqlite => Expr::expr(Expr::cust(r#"+"actions"."next_timer_at""#)),
        _ => Expr::expr(next_timer_at()),
    };
    match status {
        ActionStatus::Pending | ActionStatus::Snoozed | ActionStatus::Deferred => {
            stored.add(timer.gt(now))
        }
        ActionStatus::Approved
        | ActionStatus::Rejected
        | ActionStatus::Expired
        | ActionStatus::AutoExecuted => stored,
    }
}

/// `selects` one after another (`UNION ALL`); `None` when there are none. Each is wrapped as a
/// subquery so that it may keep its own `ORDER BY` and `LIMIT` on every store.
pub(crate) fn union_all(
    selects: impl IntoIterator<Item = SelectStatement>,
) -> Option<SelectStatement> {
    selects
        .into_iter()
        .enumerate()
        .map(|(i, select)| {
            Query::select()
                .column(Asterisk)
                .from_subquery(select, Alias::new(format!("branch{i}")))
                .to_owned()
        })
        .reduce(|mut all, next| {
            all.union(UnionType::All, next);
            all
        })
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
            pending_for_customer: 0,
        })
    }
}

#[derive(Debug, FromQueryResult)]
struct PendingOf {
    customer_id: Uuid,
    pending: i64,
}

/// How many pending actions each customer of `items` has (up to
/// [`PENDING_FOR_CUSTOMER_CAP`]), written into the items: one read for the whole page, which
/// takes at most the cap's entries of the `(location_id, customer_id, status, …)` index per
/// customer however many they have (a customer with thousands pending costs no more).
async fn count_pending_per_customer(
    db: &DatabaseConnection,
    location_id: Uuid,
    items: &mut [ActionListItem],
) -> Result<(), StoreError> {
    let mut customers: Vec<Uuid> = items.iter().map(|item| item.customer.id).collect();
    customers.sort_unstable();
    customers.dedup();
    if customers.is_empty() {
        return Ok(());
    }
    let cap = u64::from(PENDING_FOR_CUSTOMER_CAP);
    let statement = match db.get_database_backend() {
        // One statement whatever the page's customers (their ids are one array), so PostgreSQL
        // plans it once per connection. A `UNION ALL` of a branch per customer was planned
        // again for every page: 1.7 ms of a 4 ms page at a million actions.
        DbBackend::Postgres => Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT customer.id AS customer_id, \
                    (SELECT COUNT(*) FROM (SELECT 1 FROM actions \
                        WHERE actions.location_id = $1 AND actions.customer_id = customer.id \
                        AND actions.status = $2 LIMIT $3) AS capped) AS pending \
             FROM unnest($4::uuid[]) AS customer(id)",
            [
                location_id.into(),
                ActionStatus::Pending.into(),
                cap.into(),
                postgres_array(&customers).into(),
            ],
        ),
        backend => {
            let per_customer = customers.iter().map(|customer| {
                Query::select()
                    .column(actions::Column::CustomerId)
                    .expr_as(Expr::col(Asterisk).count(), Alias::new("pending"))
                    .from_subquery(
                        actions::Entity::find()
                            .select_only()
                            .column(actions::Column::CustomerId)
                            .filter(actions::Column::LocationId.eq(location_id))
                            .filter(actions::Column::CustomerId.eq(*customer))
                            .filter(actions::Column::Status.eq(ActionStatus::Pending))
                            .limit(cap)
                            .into_query(),
                        Alias::new("capped"),
                    )
                    .group_by_col(actions::Column::CustomerId)
                    .to_owned()
            });
            let Some(statement) = union_all(per_customer) else {
                return Ok(());
            };
            backend.build(&statement)
        }
    };
    let pending: std::collections::HashMap<Uuid, u32> = PendingOf::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            (
                row.customer_id,
                u32::try_from(row.pending).unwrap_or(u32::MAX),
            )
        })
        .collect();
    for item in items {
        item.pending_for_customer = pending.get(&item.customer.id).copied().unwrap_or(0);
    }
    Ok(())
}

/// `ids` as the text of a PostgreSQL array (`{…,…}`), bound as one parameter and cast there.
fn postgres_array(ids: &[Uuid]) -> String {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    format!("{{{}}}", ids.join(","))
}

pub(crate) fn confidence(stored: i16) -> Result<Confidence, StoreError> {
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
        .column_as(A::CustomerName, "customer_full_name")
        .column_as(customers::Column::Company, "customer_company")
        .column_as(customers::Column::CustomerType, "customer_type")
        .column_as(customers::Column::Email, "customer_email")
        .column_as(customers::Column::Phone, "customer_phone")
        .column_as(customers::Column::Plan, "customer_plan")
        .column_as(A::AgentName, "agent_name")
        .join(JoinType::InnerJoin, actions::Relation::Customer.def())
        .filter(A::LocationId.eq(location_id))
}

/// After the cursor's row, in the order of `sort`.
fn after_cursor(sort: Sort, cursor: &Cursor) -> Condition {
    let value = cursor.after.clone().into_value();
    let column = || Expr::expr(sort.field.expr());
    let (reached, beyond, id_beyond) = if sort.descending {
        (
            column().lte(value.clone()),
            column().lt(value.clone()),
            actions::Column::Id.lt(cursor.id),
        )
    } else {
        (
            column().gte(value.clone()),
            column().gt(value.clone()),
            actions::Column::Id.gt(cursor.id),
        )
    };
    // `reached` says nothing the rest does not, but as a plain range it lets an index start at
    // the cursor: a page 10,000 rows deep then costs what the first one does.
    Condition::all().add(reached).add(
        Condition::any()
            .add(beyond)
            .add(Condition::all().add(column().eq(value)).add(id_beyond)),
    )
}

/// A list's `total`, and whether it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Total {
    total: u64,
    exact: bool,
}

/// How many actions match: for a segment (of one agent or all) from the kept counts, else each
/// branch of the filter counted on its own index, without joins, and only up to `cap`: past
/// it, an exact count of a filter over a large segment would read every row of the segment.
async fn count(
    db: &DatabaseConnection,
    location_id: Uuid,
    filter: &ListFilter,
    branches: &[Condition],
    fired: &Fired,
    cap: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Total, StoreError> {
    let segment_only = ListFilter {
        statuses: filter.statuses.clone(),
        agent_id: filter.agent_id,
        ..ListFilter::default()
    };
    if *filter == segment_only {
        let sizes =
            counts::by_agent_and_status(db, location_id, filter.agent_id, fired, now).await?;
        let statuses = filter.segments();
        let total = sizes
            .into_iter()
            .filter(|((_, status), _)| statuses.contains(status))
            .map(|(_, count)| count)
            .sum();
        return Ok(Total { total, exact: true });
    }
    // One past the cap tells that there are more.
    let beyond_cap = cap.map(|cap| cap.saturating_add(1));
    let matching = union_all(branches.iter().map(|branch| {
        let mut select = actions::Entity::find()
            .select_only()
            .expr(Expr::val(1))
            .filter(actions::Column::LocationId.eq(location_id))
            .filter(branch.clone());
        if let Some(limit) = beyond_cap {
            select = select.limit(limit);
        }
        select.into_query()
    }));
    let Some(matching) = matching else {
        return Ok(Total {
            total: 0,
            exact: true,
        });
    };
    let statement = Query::select()
        .expr_as(Expr::col(Asterisk).count(), Alias::new("total"))
        .from_subquery(matching, Alias::new("matching"))
        .to_owned();
    let counted = Counted::find_by_statement(db.get_database_backend().build(&statement))
        .one(db)
        .await?
        .map_or(0, |row| u64::try_from(row.total).unwrap_or_default());
    Ok(match cap {
        Some(cap) if counted > cap => Total {
            total: cap,
            exact: false,
        },
        _ => Total {
            total: counted,
            exact: true,
        },
    })
}

#[derive(Debug, FromQueryResult)]
struct Counted {
    total: i64,
}

/// One page of the list: the first rows of each branch of the filter in the asked order (each
/// read from an index where the sort has one), merged. A filtered list counts up to `count_cap`
/// matches for its `total` unless the query asks for the exact count.
#[tracing::instrument(skip_all, fields(location_id = %location.id))]
pub async fn list(
    db: &DatabaseConnection,
    location: &locations::Model,
    query: &ListQuery,
    count_cap: u64,
    now: DateTime<Utc>,
) -> Result<Page<ActionListItem>, StoreError> {
    let fired = counts::fired(db, location.id, now).await?;
    let branches = query
        .filter
        .branches(now, &fired, db.get_database_backend());
    let cap = (!query.exact_count).then_some(count_cap);
    let Total { total, exact } =
        count(db, location.id, &query.filter, &branches, &fired, cap, now).await?;

    let order = if query.sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    // One extra row tells whether there is a next page.
    let limit = query.limit + 1;
    let firsts = union_all(branches.into_iter().map(|branch| {
        let mut rows = list_rows(location.id).filter(branch);
        if let Some(cursor) = &query.after {
            rows = rows.filter(after_cursor(query.sort, cursor));
        }
        rows.expr_as(query.sort.field.expr(), SORT_KEY)
            .expr_as(delivery_state_column(), "delivery_state")
            .order_by(query.sort.field.expr(), order.clone())
            .order_by(actions::Column::Id, order.clone())
            .limit(limit)
            .into_query()
    }));
    let Some(firsts) = firsts else {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
            total,
            total_exact: exact,
        });
    };
    let page = Query::select()
        .column(Asterisk)
        .from_subquery(firsts, Alias::new("firsts"))
        .order_by(Alias::new(SORT_KEY), order.clone())
        .order_by(Alias::new("id"), order)
        .limit(limit)
        .to_owned();
    let mut rows = ListRow::find_by_statement(db.get_database_backend().build(&page))
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
    let mut items: Vec<ActionListItem> = rows
        .into_iter()
        .map(|row| row.into_item(now, &location.name))
        .collect::<Result<_, _>>()?;
    count_pending_per_customer(db, location.id, &mut items).await?;
    Ok(Page {
        items,
        next_cursor,
        total,
        total_exact: exact,
    })
}

/// The name under which each branch of a page carries the value it is sorted by.
const SORT_KEY: &str = "sort_key";

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

/// The location's actions set aside for audit that nobody has checked yet, the latest sent
/// first.
pub async fn audit_queue(
    db: &DatabaseConnection,
    location: &locations::Model,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<ActionListItem>, StoreError> {
    list_rows(location.id)
        .filter(actions::Column::AuditState.eq(inbox_domain::dto::AuditState::Pending))
        .expr_as(delivery_state_column(), "delivery_state")
        .order_by_desc(actions::Column::AutoExecutedAt)
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
