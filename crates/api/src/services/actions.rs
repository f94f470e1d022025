//! Proposing, reviewing (one at a time or in bulk), editing and previewing actions, and
//! recording what followed them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use inbox_domain::{
    business_hours::BusinessHours,
    dto::{
        ActionChanged, ActionDetail, ApproveAction, BulkError, BulkOp, BulkRequest, BulkResponse,
        BulkResult, CustomerResponse, EditDraft, LinkResponse, Outcome, Preview, PreviewDraft,
        ProposeAction, RejectAction, ReportOutcome, SnoozeAction,
    },
    review::{
        self, check_reachable, headline, initial_lifecycle, reject_decision, snooze_decision,
        unknown_variables, validate_proposal, AutoExecutePolicy, Decision, DraftChanges,
        FieldIssue, MAX_BULK_IDS,
    },
    variables::{self, Escape, StandardFields},
    ActionStatus, ActionType, Confidence, LifecycleEvent, Transition, TransitionError,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, SqlErr, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    bus::{EventBus, LocationChange},
    Actor, ServiceError,
};
use crate::{
    db::entities::{
        action_events, action_outcomes, action_responses, actions, agents, customers, locations,
    },
    store::{
        self,
        actions::{lifecycle_of, outcome_view, response_view},
        parse_json, parse_stored, StoreError,
    },
};

/// Formatting survives; scripts, styles and event handlers do not.
pub fn sanitize_html(html: &str) -> String {
    ammonia::clean(html)
}

/// Every value a draft of `action` may use.
fn fill_values(
    action: &actions::Model,
    customer: &customers::Model,
    location: &locations::Model,
) -> Result<BTreeMap<String, String>, StoreError> {
    let own: BTreeMap<String, String> = parse_json(action.variables.clone())?;
    Ok(variables::values(
        StandardFields {
            customer_name: &customer.full_name,
            company: customer.company.as_deref(),
            email: customer.email.as_deref(),
            phone: customer.phone.as_deref(),
            plan: customer.plan.as_deref(),
            location_name: &location.name,
        },
        &own,
    ))
}

fn conflict(row: &actions::Model, now: DateTime<Utc>, detail: String) -> ServiceError {
    match lifecycle_of(row) {
        Ok(lifecycle) => ServiceError::Conflict {
            detail,
            status: lifecycle.status_at(now),
            version: row.version,
        },
        Err(error) => error.into(),
    }
}

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("No action {id} in this location."))
}

async fn load_action<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    id: Uuid,
) -> Result<actions::Model, ServiceError> {
    actions::Entity::find_by_id(id)
        .filter(actions::Column::LocationId.eq(location_id))
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

async fn load_customer<C: ConnectionTrait>(
    db: &C,
    action: &actions::Model,
) -> Result<customers::Model, ServiceError> {
    Ok(customers::Entity::find_by_id(action.customer_id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("action {} has no customer", action.id)))?)
}

/// A change ready to be written: the conditional update and the event that records it.
pub(crate) struct PreparedChange {
    id: Uuid,
    expected_version: i32,
    update: actions::ActiveModel,
    /// Timer transitions that had come due but were not yet written, recorded first.
    due: Vec<action_events::Model>,
    event: action_events::Model,
    change: ActionChanged,
}

/// The status an event moved an action from and to; `None` where it did not move it.
type StatusChange = (Option<ActionStatus>, Option<ActionStatus>);

fn event_row(
    action: &actions::Model,
    kind: &str,
    (from, to): StatusChange,
    version: i32,
    actor: &Actor,
    now: DateTime<Utc>,
    data: serde_json::Value,
) -> action_events::Model {
    action_events::Model {
        id: Uuid::now_v7(),
        location_id: action.location_id,
        action_id: action.id,
        kind: kind.to_owned(),
        from_status: from.map(|s| s.as_str().to_owned()),
        to_status: to.map(|s| s.as_str().to_owned()),
        actor: actor.0.clone(),
        occurred_at: now,
        version,
        data,
    }
}

/// The columns a transition changes, with the decision's details.
pub(crate) fn transition_change(
    row: &actions::Model,
    transition: &Transition,
    decision: Option<&Decision>,
    edit: Option<(&DraftChanges, serde_json::Value)>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> PreparedChange {
    let version = row.version + 1;
    let next = transition.next;
    let mut update = actions::ActiveModel {
        status: Set(next.status.as_str().to_owned()),
        version: Set(version),
        updated_at: Set(now),
        snoozed_until: Set(next.snoozed_until),
        deferred_until: Set(next.deferred_until),
        approved_awaiting_send: Set(next.approved_awaiting_send),
        ..Default::default()
    };
    if transition.event.is_review() && row.first_reviewed_at.is_none() {
        update.first_reviewed_at = Set(Some(now));
        update.review_time_seconds = Set(Some((now - row.created_at).num_seconds()));
    }
    let mut data = decision.map_or_else(|| json!({}), Decision::details);
    match (transition.event, decision) {
        (LifecycleEvent::Approve | LifecycleEvent::ApproveForLater { .. }, _) => {
            update.approved_at = Set(Some(now));
            update.approved_by = Set(Some(actor.0.clone()));
        }
        (LifecycleEvent::Reject, Some(Decision::Reject { reason, note })) => {
            update.rejected_at = Set(Some(now));
            update.rejected_by = Set(Some(actor.0.clone()));
            update.rejection_reason = Set(Some(reason.as_str().to_owned()));
            update.rejection_note = Set(note.clone());
        }
        (LifecycleEvent::Snooze { .. }, Some(Decision::Snooze { note, .. })) => {
            update.snooze_note = Set(note.clone());
        }
        // When its window closed, even if the sweep came later.
        (LifecycleEvent::Expire, _) => update.expired_at = Set(Some(row.expires_at.min(now))),
        _ => {}
    }
    if let Some((changes, edited)) = edit {
        set_draft(&mut update, row, changes);
        data["edit"] = edited;
    }
    let event = event_row(
        row,
        transition.event.name(),
        (Some(transition.from), Some(transition.to)),
        version,
        actor,
        now,
        data,
    );
    PreparedChange {
        id: row.id,
        expected_version: row.version,
        update,
        due: Vec::new(),
        event,
        change: ActionChanged {
            id: row.id,
            status: transition.to,
            version,
        },
    }
}

/// Writes the draft fields that `changes` replaces, and the headline they imply.
fn set_draft(update: &mut actions::ActiveModel, row: &actions::Model, changes: &DraftChanges) {
    let subject = changes.subject.clone().or_else(|| row.subject.clone());
    let script = changes.script.clone().or_else(|| row.script.clone());
    update.headline = Set(headline(subject.as_deref(), script.as_deref()));
    if let Some(subject) = &changes.subject {
        update.subject = Set(Some(subject.trim().to_owned()));
    }
    if let Some(body) = &changes.body {
        update.body = Set(Some(body.clone()));
    }
    if let Some(script) = &changes.script {
        update.script = Set(Some(script.clone()));
    }
}

/// The edit as before/after, field by field, for the history.
fn edit_record(row: &actions::Model, changes: &DraftChanges) -> serde_json::Value {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (field, old, new) in [
        ("subject", &row.subject, &changes.subject),
        ("body", &row.body, &changes.body),
        ("script", &row.script, &changes.script),
    ] {
        if let Some(new) = new {
            if old.as_ref() != Some(new) {
                before.insert(field.to_owned(), json!(old));
                after.insert(field.to_owned(), json!(new));
            }
        }
    }
    json!({ "before": before, "after": after })
}

/// Sanitises the HTML of draft changes.
fn sanitized(mut changes: DraftChanges) -> DraftChanges {
    changes.body = changes.body.map(|body| sanitize_html(&body));
    changes
}

/// A reviewer's verb, before it is checked against the action.
#[derive(Debug, Clone)]
pub enum ReviewRequest {
    Approve(ApproveAction),
    Reject(RejectAction),
    Snooze(SnoozeAction),
}

impl ReviewRequest {
    fn expected_version(&self) -> Option<i32> {
        match self {
            ReviewRequest::Approve(r) => r.expected_version,
            ReviewRequest::Reject(r) => r.expected_version,
            ReviewRequest::Snooze(r) => r.expected_version,
        }
    }

    /// With an `If-Match` version when the body gave none.
    pub fn with_version(mut self, version: Option<i32>) -> Self {
        let slot = match &mut self {
            ReviewRequest::Approve(r) => &mut r.expected_version,
            ReviewRequest::Reject(r) => &mut r.expected_version,
            ReviewRequest::Snooze(r) => &mut r.expected_version,
        };
        if slot.is_none() {
            *slot = version;
        }
        self
    }
}

/// Placeholders with no value, named by the field that holds them.
fn unknown_variable_issues(
    subject: Option<&str>,
    body: Option<&str>,
    script: Option<&str>,
    values: &BTreeMap<String, String>,
) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    for (field, text) in [("subject", subject), ("body", body), ("script", script)] {
        for name in unknown_variables(text, None, None, values) {
            issues.push(FieldIssue::new(
                field,
                format!("`{{{{{name}}}}}` has no value; fill it in or remove it before sending"),
            ));
        }
    }
    issues
}

/// When the location next opens, if it is closed at `now`.
fn next_opening(
    location: &locations::Model,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let hours: BusinessHours = parse_json(location.business_hours.clone())?;
    let zone: chrono_tz::Tz = location
        .time_zone
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown time zone `{}`", location.time_zone)))?;
    let local = now.with_timezone(&zone).naive_local();
    Ok(hours.next_opening(local).map(|opening| {
        // An opening inside a daylight-saving gap happens when the clocks have jumped.
        zone.from_local_datetime(&opening)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(opening + Duration::hours(1)))
                    .earliest()
            })
            .map_or(now, |at| at.with_timezone(&Utc))
    }))
}

/// Checks a review against the loaded action and prepares its change.
fn prepare_review(
    row: &actions::Model,
    customer: &customers::Model,
    location: &locations::Model,
    request: &ReviewRequest,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<PreparedChange, ServiceError> {
    if let Some(expected) = request.expected_version() {
        if expected != row.version {
            return Err(conflict(
                row,
                now,
                format!(
                    "The action is at version {}, not {expected}: someone else changed it. Reload it and try again.",
                    row.version
                ),
            ));
        }
    }
    let action_type: ActionType = parse_stored(&row.action_type)?;
    let decision = match request {
        // Sanitised first, so a body that is only markup counts as blank.
        ReviewRequest::Approve(approve) => ApproveAction {
            body: approve.body.as_deref().map(sanitize_html),
            ..approve.clone()
        }
        .decision(action_type),
        ReviewRequest::Reject(reject) => Decision::try_from(reject),
        ReviewRequest::Snooze(snooze) => snooze.decision(now),
    }
    .map_err(ServiceError::Invalid)?;
    let lifecycle = lifecycle_of(row)?;
    let event = match &decision {
        Decision::Approve { .. } => {
            let channel = row.channel.as_deref().map(parse_stored).transpose()?;
            review::approval_event(channel, next_opening(location, now)?)
        }
        _ => decision.event(),
    };
    let transition = lifecycle.apply(event, now).map_err(|error| match error {
        TransitionError::NotAllowed { .. } | TransitionError::NotDue { .. } => {
            conflict(row, now, format!("{error}."))
        }
        TransitionError::TimeNotInFuture => ServiceError::invalid("until", "must be in the future"),
    })?;
    let edit = match &decision {
        Decision::Approve { changes } => {
            let changes = changes.clone();
            let values = fill_values(row, customer, location)?;
            let subject = changes.subject.as_ref().or(row.subject.as_ref());
            let body = changes.body.as_ref().or(row.body.as_ref());
            let script = changes.script.as_ref().or(row.script.as_ref());
            let issues = unknown_variable_issues(
                subject.map(String::as_str),
                body.map(String::as_str),
                script.map(String::as_str),
                &values,
            );
            if !issues.is_empty() {
                return Err(ServiceError::Invalid(issues));
            }
            (!changes.is_empty()).then(|| {
                let record = edit_record(row, &changes);
                (changes, record)
            })
        }
        _ => None,
    };
    let mut change = transition_change(
        row,
        &transition,
        Some(&decision),
        edit.as_ref()
            .map(|(changes, record)| (changes, record.clone())),
        actor,
        now,
    );
    // The decision acted on the settled state: record the timers that got it there first, so
    // the history holds every transition.
    let due = lifecycle.due_transitions(now);
    if !due.is_empty() {
        let mut version = row.version;
        change.due = due
            .iter()
            .map(|step| {
                version += 1;
                event_row(
                    row,
                    step.event.name(),
                    (Some(step.from), Some(step.to)),
                    version,
                    &Actor::system(),
                    now,
                    json!({}),
                )
            })
            .collect();
        version += 1;
        change.update.version = Set(version);
        change.event.version = version;
        change.change.version = version;
    }
    Ok(change)
}

/// Writes prepared changes in one transaction and announces those applied. Returns, per change,
/// whether it was applied: a change whose row moved on in the meantime (its version no longer
/// matches) is skipped.
pub(crate) async fn write_changes(
    db: &DatabaseConnection,
    bus: &EventBus,
    changes: &[&PreparedChange],
) -> Result<Vec<bool>, ServiceError> {
    let txn = db.begin().await?;
    let mut applied = Vec::with_capacity(changes.len());
    let mut events = Vec::new();
    let mut announced = Vec::new();
    for change in changes {
        let result = actions::Entity::update_many()
            .set(change.update.clone())
            .filter(actions::Column::Id.eq(change.id))
            .filter(actions::Column::Version.eq(change.expected_version))
            .exec(&txn)
            .await?;
        let done = result.rows_affected == 1;
        if done {
            events.extend(
                change
                    .due
                    .iter()
                    .cloned()
                    .map(IntoActiveModel::into_active_model),
            );
            events.push(change.event.clone().into_active_model());
            let announcement = LocationChange {
                location_id: change.event.location_id,
                change: change.change.clone(),
            };
            bus.stage(&txn, &announcement).await?;
            announced.push(announcement);
        }
        applied.push(done);
    }
    if !events.is_empty() {
        action_events::Entity::insert_many(events)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    for announcement in announced {
        bus.committed(announcement);
    }
    Ok(applied)
}

/// One reviewer decision on one action.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn review(
    db: &DatabaseConnection,
    bus: &EventBus,
    location: &locations::Model,
    actor: &Actor,
    id: Uuid,
    request: ReviewRequest,
    now: DateTime<Utc>,
) -> Result<ActionDetail, ServiceError> {
    let row = load_action(db, location.id, id).await?;
    let customer = load_customer(db, &row).await?;
    let change = prepare_review(&row, &customer, location, &request, actor, now)?;
    write_one(db, bus, location, &change, now).await
}

/// Writes one action's change; a 409 with its current state when another writer got there first.
async fn write_one(
    db: &DatabaseConnection,
    bus: &EventBus,
    location: &locations::Model,
    change: &PreparedChange,
    now: DateTime<Utc>,
) -> Result<ActionDetail, ServiceError> {
    if write_changes(db, bus, &[change]).await? != [true] {
        let current = load_action(db, location.id, change.id).await?;
        return Err(conflict(
            &current,
            now,
            "Someone else changed this action first.".to_owned(),
        ));
    }
    Ok(store::actions::get(db, location, change.id, now).await?)
}

/// Checks the fields a bulk request shares by every id, once.
fn bulk_review_request(
    request: &BulkRequest,
    now: DateTime<Utc>,
) -> Result<ReviewRequest, ServiceError> {
    let mut issues = Vec::new();
    if request.ids.is_empty() || request.ids.len() > MAX_BULK_IDS {
        issues.push(FieldIssue::new(
            "ids",
            format!("give 1 to {MAX_BULK_IDS} ids"),
        ));
    }
    let stray = |field: &str, present: bool, issues: &mut Vec<FieldIssue>| {
        if present {
            issues.push(FieldIssue::new(
                field,
                format!("not used by `{:?}`", request.op).to_lowercase(),
            ));
        }
    };
    let review = match request.op {
        BulkOp::Approve => {
            stray("reason", request.reason.is_some(), &mut issues);
            stray("note", request.note.is_some(), &mut issues);
            stray("duration", request.duration.is_some(), &mut issues);
            stray("until", request.until.is_some(), &mut issues);
            ReviewRequest::Approve(ApproveAction::default())
        }
        BulkOp::Reject => {
            stray("duration", request.duration.is_some(), &mut issues);
            stray("until", request.until.is_some(), &mut issues);
            match request.reason {
                Some(reason) => {
                    if let Err(found) = reject_decision(reason, &request.note) {
                        issues.extend(found);
                    }
                    ReviewRequest::Reject(RejectAction {
                        expected_version: None,
                        reason,
                        note: request.note.clone(),
                    })
                }
                None => {
                    issues.push(FieldIssue::new("reason", "a rejection needs a reason"));
                    ReviewRequest::Approve(ApproveAction::default())
                }
            }
        }
        BulkOp::Snooze => {
            stray("reason", request.reason.is_some(), &mut issues);
            // Every id gets the same wake-up time, fixed now.
            match snooze_decision(request.duration, request.until, &request.note, now) {
                Ok(Decision::Snooze { until, .. }) => ReviewRequest::Snooze(SnoozeAction {
                    expected_version: None,
                    duration: None,
                    until: Some(until),
                    note: request.note.clone(),
                }),
                Ok(_) => ReviewRequest::Approve(ApproveAction::default()),
                Err(found) => {
                    issues.extend(found);
                    ReviewRequest::Approve(ApproveAction::default())
                }
            }
        }
    };
    if issues.is_empty() {
        Ok(review)
    } else {
        Err(ServiceError::Invalid(issues))
    }
}

fn bulk_error(error: &ServiceError) -> BulkError {
    match error {
        ServiceError::NotFound(detail) => BulkError {
            status: 404,
            detail: detail.clone(),
        },
        ServiceError::Invalid(issues) => BulkError {
            status: 422,
            detail: issues
                .iter()
                .map(|i| format!("`{}` {}", i.field, i.message))
                .collect::<Vec<_>>()
                .join("; "),
        },
        ServiceError::Conflict { detail, .. } => BulkError {
            status: 409,
            detail: detail.clone(),
        },
        ServiceError::Store(_) => BulkError {
            status: 500,
            detail: "The server could not decide this action.".to_owned(),
        },
    }
}

/// Decides many actions in one round trip: one read of the rows, one write transaction; each id
/// succeeds or fails on its own.
#[tracing::instrument(skip_all, fields(op = ?request.op, ids = request.ids.len()))]
pub async fn bulk(
    db: &DatabaseConnection,
    bus: &EventBus,
    location: &locations::Model,
    actor: &Actor,
    request: &BulkRequest,
    now: DateTime<Utc>,
) -> Result<BulkResponse, ServiceError> {
    let review = bulk_review_request(request, now)?;
    let mut ids = request.ids.clone();
    ids.sort();
    ids.dedup();
    let rows: HashMap<Uuid, actions::Model> = actions::Entity::find()
        .filter(actions::Column::LocationId.eq(location.id))
        .filter(actions::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let customer_ids: Vec<Uuid> = rows.values().map(|row| row.customer_id).collect();
    let customers: HashMap<Uuid, customers::Model> = customers::Entity::find()
        .filter(customers::Column::Id.is_in(customer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|customer| (customer.id, customer))
        .collect();

    // Prepared in id order, so concurrent bulk requests lock rows in the same order.
    let mut outcomes: HashMap<Uuid, Result<ActionStatus, ServiceError>> = HashMap::new();
    let mut prepared = Vec::new();
    for id in &ids {
        let Some(row) = rows.get(id) else {
            outcomes.insert(*id, Err(not_found(*id)));
            continue;
        };
        let result = customers
            .get(&row.customer_id)
            .ok_or_else(|| {
                ServiceError::from(StoreError::Corrupt(format!("action {id} has no customer")))
            })
            .and_then(|customer| prepare_review(row, customer, location, &review, actor, now));
        match result {
            Ok(change) => prepared.push(change),
            Err(error) => {
                outcomes.insert(*id, Err(error));
            }
        }
    }
    let prepared: Vec<&PreparedChange> = prepared.iter().collect();
    let applied = write_changes(db, bus, &prepared).await?;
    let lost: Vec<Uuid> = prepared
        .iter()
        .zip(&applied)
        .filter(|(_, done)| !**done)
        .map(|(change, _)| change.id)
        .collect();
    // Where another writer got there first, report the action as it is now.
    let current: HashMap<Uuid, actions::Model> = if lost.is_empty() {
        HashMap::new()
    } else {
        actions::Entity::find()
            .filter(actions::Column::Id.is_in(lost))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect()
    };
    for (change, done) in prepared.iter().zip(&applied) {
        let outcome = if *done {
            Ok(change.change.status)
        } else {
            let row = current.get(&change.id).unwrap_or(&rows[&change.id]);
            Err(conflict(
                row,
                now,
                "Someone else decided this action first.".to_owned(),
            ))
        };
        outcomes.insert(change.id, outcome);
    }

    let results = request
        .ids
        .iter()
        .map(|id| {
            let current = rows
                .get(id)
                .and_then(|row| lifecycle_of(row).ok())
                .map(|lifecycle| lifecycle.status_at(now));
            match outcomes.get(id) {
                Some(Ok(status)) => BulkResult {
                    id: *id,
                    ok: true,
                    status: Some(*status),
                    error: None,
                },
                Some(Err(error)) => BulkResult {
                    id: *id,
                    ok: false,
                    status: match error {
                        ServiceError::Conflict { status, .. } => Some(*status),
                        _ => current,
                    },
                    error: Some(bulk_error(error)),
                },
                None => BulkResult {
                    id: *id,
                    ok: false,
                    status: current,
                    error: Some(bulk_error(&not_found(*id))),
                },
            }
        })
        .collect();
    Ok(BulkResponse { results })
}

/// A proposal's result: the action, and whether this call created it (a replay of an
/// `external_id` returns the first one).
pub struct Proposed {
    pub action: ActionDetail,
    pub created: bool,
}

/// An agent proposes an action.
#[tracing::instrument(skip_all)]
pub async fn propose(
    db: &DatabaseConnection,
    bus: &EventBus,
    location: &locations::Model,
    actor: &Actor,
    request: &ProposeAction,
    now: DateTime<Utc>,
) -> Result<Proposed, ServiceError> {
    let mut issues = Vec::new();
    // Sanitised first, so a body that is only markup counts as blank.
    let request = &ProposeAction {
        body: request.body.as_deref().map(sanitize_html),
        ..request.clone()
    };
    let valid = validate_proposal(request)
        .map_err(|found| issues.extend(found))
        .ok();
    let agent = match request.agent_id {
        Some(agent_id) => {
            agents::Entity::find_by_id(agent_id)
                .filter(agents::Column::LocationId.eq(location.id))
                .one(db)
                .await?
        }
        None => None,
    };
    let customer = customers::Entity::find_by_id(request.customer_id)
        .filter(customers::Column::LocationId.eq(location.id))
        .one(db)
        .await?;
    match &agent {
        None if request.agent_id.is_none() => issues.push(FieldIssue::new(
            "agent_id",
            "say which agent proposes (or use the agent's own API key)",
        )),
        None => issues.push(FieldIssue::new(
            "agent_id",
            "no such agent in this location",
        )),
        Some(agent) if !agent.enabled => issues.push(FieldIssue::new(
            "agent_id",
            "this agent is disabled; enable it to propose",
        )),
        Some(_) => {}
    }
    match &customer {
        None => issues.push(FieldIssue::new(
            "customer_id",
            "no such customer in this location",
        )),
        Some(customer) => {
            if let Err(issue) = check_reachable(
                request.channel,
                customer.email.as_deref(),
                customer.phone.as_deref(),
            ) {
                issues.push(issue);
            }
        }
    }
    let (Some(valid), Some(agent), Some(customer), true) =
        (valid, agent, customer, issues.is_empty())
    else {
        return Err(ServiceError::Invalid(issues));
    };

    if let Some(existing) =
        find_by_external_id(db, location.id, agent.id, valid.external_id.as_deref()).await?
    {
        return Ok(Proposed {
            action: store::actions::get(db, location, existing, now).await?,
            created: false,
        });
    }

    let expires_at = request
        .expires_at
        .map(crate::clock::to_storage_precision)
        .unwrap_or_else(|| now + Duration::seconds(agent.default_expiry_seconds));
    let policy = auto_execute_policy(&agent)?;
    let auto_execute = policy.applies(valid.action_type, valid.confidence);
    let lifecycle = initial_lifecycle(
        now,
        expires_at,
        request.not_before.map(crate::clock::to_storage_precision),
        auto_execute,
    )
    .map_err(|issue| ServiceError::Invalid(vec![issue]))?;

    let id = Uuid::now_v7();
    let row = actions::Model {
        id,
        location_id: location.id,
        agent_id: agent.id,
        customer_id: customer.id,
        external_id: valid.external_id.clone(),
        action_type: valid.action_type.as_str().to_owned(),
        channel: valid.channel.map(|c| c.as_str().to_owned()),
        headline: valid.headline(),
        subject: valid.subject.as_deref().map(str::trim).map(str::to_owned),
        body: valid.body.as_deref().map(sanitize_html),
        script: valid.script.clone(),
        tone: valid.tone.map(|t| t.as_str().to_owned()),
        estimated_duration_seconds: valid.estimated_duration_seconds,
        confidence: i16::from(valid.confidence.percent()),
        confidence_factors: json!(valid.confidence_factors),
        priority: valid.priority.as_str().to_owned(),
        trigger_summary: valid.trigger.summary.clone(),
        trigger_data: valid.trigger.data.clone(),
        variables: json!(valid.variables),
        status: lifecycle.status.as_str().to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
        expires_at,
        not_before: request.not_before.map(crate::clock::to_storage_precision),
        snoozed_until: None,
        snooze_note: None,
        deferred_until: lifecycle.deferred_until,
        approved_awaiting_send: false,
        first_reviewed_at: None,
        review_time_seconds: None,
        approved_at: None,
        approved_by: None,
        rejected_at: None,
        rejected_by: None,
        rejection_reason: None,
        rejection_note: None,
        expired_at: None,
        auto_executed_at: (lifecycle.status == ActionStatus::AutoExecuted).then_some(now),
    };
    let event = event_row(
        &row,
        "proposed",
        (None, Some(lifecycle.status)),
        1,
        actor,
        now,
        json!({ "auto_executed": lifecycle.status == ActionStatus::AutoExecuted }),
    );
    let txn = db.begin().await?;
    let inserted = actions::Entity::insert(row.clone().into_active_model())
        .exec(&txn)
        .await;
    if let Err(error) = inserted {
        // Another request with the same external id won the race: that one is the action.
        if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            txn.rollback().await?;
            if let Some(existing) =
                find_by_external_id(db, location.id, agent.id, valid.external_id.as_deref()).await?
            {
                return Ok(Proposed {
                    action: store::actions::get(db, location, existing, now).await?,
                    created: false,
                });
            }
        }
        return Err(error.into());
    }
    action_events::Entity::insert(event.into_active_model())
        .exec(&txn)
        .await?;
    let announcement = LocationChange {
        location_id: location.id,
        change: ActionChanged {
            id,
            status: lifecycle.status,
            version: 1,
        },
    };
    bus.stage(&txn, &announcement).await?;
    txn.commit().await?;
    bus.committed(announcement);
    Ok(Proposed {
        action: store::actions::get(db, location, id, now).await?,
        created: true,
    })
}

async fn find_by_external_id(
    db: &DatabaseConnection,
    location_id: Uuid,
    agent_id: Uuid,
    external_id: Option<&str>,
) -> Result<Option<Uuid>, ServiceError> {
    let Some(external_id) = external_id else {
        return Ok(None);
    };
    Ok(actions::Entity::find()
        .filter(actions::Column::LocationId.eq(location_id))
        .filter(actions::Column::AgentId.eq(agent_id))
        .filter(actions::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .map(|row| row.id))
}

/// The agent's auto-execute settings as the domain reads them.
pub fn auto_execute_policy(agent: &agents::Model) -> Result<AutoExecutePolicy, StoreError> {
    let names: Vec<String> = parse_json(agent.auto_execute.clone())?;
    Ok(AutoExecutePolicy {
        action_types: names
            .iter()
            .map(|name| parse_stored(name))
            .collect::<Result<_, _>>()?,
        min_confidence: Confidence::try_from(i64::from(agent.auto_execute_min_confidence))
            .map_err(|error| StoreError::Corrupt(error.to_string()))?,
    })
}

/// Saves draft edits without deciding.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn edit_draft(
    db: &DatabaseConnection,
    bus: &EventBus,
    location: &locations::Model,
    actor: &Actor,
    id: Uuid,
    request: &EditDraft,
    now: DateTime<Utc>,
) -> Result<ActionDetail, ServiceError> {
    let row = load_action(db, location.id, id).await?;
    if request.expected_version != row.version {
        return Err(conflict(
            &row,
            now,
            format!(
                "The action is at version {}, not {}: someone else changed it. Reload it and edit again.",
                row.version, request.expected_version
            ),
        ));
    }
    let status = lifecycle_of(&row)?.status_at(now);
    if !matches!(status, ActionStatus::Pending | ActionStatus::Snoozed) {
        return Err(conflict(
            &row,
            now,
            format!("A {status} action's draft can no longer change."),
        ));
    }
    let changes = sanitized(DraftChanges::from(request));
    let action_type: ActionType = parse_stored(&row.action_type)?;
    changes
        .validate(action_type)
        .map_err(ServiceError::Invalid)?;
    if changes.is_empty() {
        return Err(ServiceError::invalid(
            "body",
            "nothing to change: give subject, body or script",
        ));
    }
    let changes = sanitized(changes);
    let version = row.version + 1;
    let mut update = actions::ActiveModel {
        version: Set(version),
        updated_at: Set(now),
        ..Default::default()
    };
    set_draft(&mut update, &row, &changes);
    let event = event_row(
        &row,
        "edited",
        (Some(status), Some(status)),
        version,
        actor,
        now,
        json!({ "edit": edit_record(&row, &changes) }),
    );
    let change = PreparedChange {
        id,
        expected_version: row.version,
        update,
        due: Vec::new(),
        event,
        change: ActionChanged {
            id,
            status,
            version,
        },
    };
    write_one(db, bus, location, &change, now).await
}

/// The signature as HTML: escaped, line breaks kept.
fn signature_html(signature: &str) -> String {
    let lines: Vec<String> = signature.lines().map(variables::escape_html).collect();
    format!("<p class=\"signature\">{}</p>", lines.join("<br>"))
}

/// Exactly what the customer would receive, from the stored draft or the one given.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn preview(
    db: &DatabaseConnection,
    location: &locations::Model,
    id: Uuid,
    draft: &PreviewDraft,
) -> Result<Preview, ServiceError> {
    let row = load_action(db, location.id, id).await?;
    let customer = load_customer(db, &row).await?;
    let values = fill_values(&row, &customer, location)?;
    let subject = draft.subject.clone().or_else(|| row.subject.clone());
    let body = draft
        .body
        .as_deref()
        .map(sanitize_html)
        .or_else(|| row.body.clone());
    let script = draft.script.clone().or_else(|| row.script.clone());
    let unknown = review::unknown_variables(
        subject.as_deref(),
        body.as_deref(),
        script.as_deref(),
        &values,
    );
    let is_email = row.channel.as_deref() == Some(inbox_domain::Channel::Email.as_str());
    let body_html = body.map(|body| {
        // Cleaned again once filled: a value can turn `href="{{link}}"` into a script URL.
        let filled = sanitize_html(&variables::render(&body, &values, Escape::Html).text);
        if is_email && !location.signature.trim().is_empty() {
            format!("{filled}{}", signature_html(&location.signature))
        } else {
            filled
        }
    });
    let body_text = body_html
        .as_deref()
        .map(|html| html2text::from_read(html.as_bytes(), usize::MAX))
        .transpose()
        .map_err(|error| {
            StoreError::Corrupt(format!("draft body cannot be read as HTML: {error}"))
        })?
        .map(|text| text.trim_end().to_owned());
    Ok(Preview {
        subject: subject.map(|s| variables::render(&s, &values, Escape::None).text),
        body_html,
        body_text,
        script: script.map(|s| variables::render(&s, &values, Escape::None).text),
        unknown_variables: unknown,
    })
}

/// Outcomes and responses belong to actions that went out.
fn require_sent(row: &actions::Model, now: DateTime<Utc>, what: &str) -> Result<(), ServiceError> {
    let status = lifecycle_of(row)?.status_at(now);
    if matches!(status, ActionStatus::Approved | ActionStatus::AutoExecuted) {
        Ok(())
    } else {
        Err(conflict(
            row,
            now,
            format!("Only a sent action has {what}; this one is {status}."),
        ))
    }
}

/// Records what followed a sent action; it shows in the action's history.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn report_outcome(
    db: &DatabaseConnection,
    location: &locations::Model,
    actor: &Actor,
    id: Uuid,
    request: &ReportOutcome,
    now: DateTime<Utc>,
) -> Result<Outcome, ServiceError> {
    let row = load_action(db, location.id, id).await?;
    require_sent(&row, now, "an outcome")?;
    if !(request.data.is_object() || request.data.is_null()) {
        return Err(ServiceError::invalid("data", "must be a JSON object"));
    }
    let data = if request.data.is_null() {
        json!({})
    } else {
        request.data.clone()
    };
    let outcome = action_outcomes::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        action_id: id,
        kind: store::wire_name(&request.kind),
        occurred_at: crate::clock::to_storage_precision(request.occurred_at),
        data: data.clone(),
        recorded_at: now,
    };
    let event = event_row(
        &row,
        "outcome_reported",
        (None, None),
        row.version,
        actor,
        now,
        json!({ "kind": request.kind, "occurred_at": outcome.occurred_at, "data": data }),
    );
    let txn = db.begin().await?;
    action_outcomes::Entity::insert(outcome.clone().into_active_model())
        .exec(&txn)
        .await?;
    action_events::Entity::insert(event.into_active_model())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(outcome_view(outcome)?)
}

/// Links a customer's reply to the action it answers; it shows in the action's history.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn link_response(
    db: &DatabaseConnection,
    location: &locations::Model,
    actor: &Actor,
    id: Uuid,
    request: &LinkResponse,
    now: DateTime<Utc>,
) -> Result<CustomerResponse, ServiceError> {
    let row = load_action(db, location.id, id).await?;
    require_sent(&row, now, "responses")?;
    let mut issues = Vec::new();
    if request.conversation_id.trim().is_empty() {
        issues.push(FieldIssue::new("conversation_id", "must not be blank"));
    }
    if request.excerpt.chars().count() > 2_000 {
        issues.push(FieldIssue::new(
            "excerpt",
            "must be at most 2000 characters",
        ));
    }
    if !issues.is_empty() {
        return Err(ServiceError::Invalid(issues));
    }
    let response = action_responses::Model {
        id: Uuid::now_v7(),
        location_id: location.id,
        action_id: id,
        conversation_id: request.conversation_id.trim().to_owned(),
        excerpt: request.excerpt.clone(),
        received_at: crate::clock::to_storage_precision(request.received_at),
        recorded_at: now,
    };
    let event = event_row(
        &row,
        "response_linked",
        (None, None),
        row.version,
        actor,
        now,
        json!({ "conversation_id": response.conversation_id, "excerpt": response.excerpt, "received_at": response.received_at }),
    );
    let txn = db.begin().await?;
    action_responses::Entity::insert(response.clone().into_active_model())
        .exec(&txn)
        .await?;
    action_events::Entity::insert(event.into_active_model())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(response_view(response))
}
