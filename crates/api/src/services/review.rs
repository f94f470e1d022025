//! A reviewer decides one action: approve (with or without edits), reject or snooze.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use inbox_domain::{
    business_hours::BusinessHours,
    dto::{ActionDetail, ApproveAction, PreviewDraft, RejectAction, SnoozeAction},
    review::{self, check_body_bounds, check_reachable, unknown_variables, Decision},
    safeguards::{held_warning, unconfirmed, ReviewLease, ReviewWarning, WarningNotice},
    Channel, FieldError, LifecycleEvent, TransitionError,
};
use uuid::Uuid;

use super::{
    change::{
        after_due_transitions, check_version, conflict, load, sanitize_html, transition_change,
        write_one,
    },
    render::{fill_values, message},
    Actor, Context, ServiceError,
};
use crate::db::{
    self,
    actions::{lifecycle_of, PreparedChange},
    entities::{actions, customers, locations},
    parse_json,
    safeguards::SafeguardFacts,
    StoreError,
};

/// A reviewer's verb, before it is checked against the action.
#[derive(Debug, Clone)]
pub enum ReviewRequest {
    Approve(ApproveAction),
    Reject(RejectAction),
    Snooze(SnoozeAction),
}

impl ReviewRequest {
    /// The warnings the reviewer decides despite.
    pub fn acknowledged(&self) -> &[ReviewWarning] {
        match self {
            ReviewRequest::Approve(r) => &r.acknowledged,
            ReviewRequest::Reject(r) => &r.acknowledged,
            ReviewRequest::Snooze(r) => &r.acknowledged,
        }
    }

    pub fn is_approval(&self) -> bool {
        matches!(self, ReviewRequest::Approve(_))
    }

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
fn unknown_variable_errors(
    subject: Option<&str>,
    body: Option<&str>,
    script: Option<&str>,
    values: &BTreeMap<String, String>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (field, text) in [("subject", subject), ("body", body), ("script", script)] {
        for name in unknown_variables(text, None, None, values) {
            errors.push(FieldError::new(
                field,
                format!("`{{{{{name}}}}}` has no value; fill it in or remove it before sending"),
            ));
        }
    }
    errors
}

/// The location's opening hours and the local time in its zone at `now`, and a way back from a
/// local time to an instant.
struct LocalClock {
    hours: BusinessHours,
    zone: chrono_tz::Tz,
    local: chrono::NaiveDateTime,
}

impl LocalClock {
    fn of(location: &locations::Model, now: DateTime<Utc>) -> Result<LocalClock, StoreError> {
        let hours: BusinessHours = parse_json(location.business_hours.clone())?;
        let zone: chrono_tz::Tz = location.time_zone.parse().map_err(|_| {
            StoreError::Corrupt(format!("unknown time zone `{}`", location.time_zone))
        })?;
        let local = now.with_timezone(&zone).naive_local();
        Ok(LocalClock { hours, zone, local })
    }

    /// The instant of a local time; one inside a daylight-saving gap happens when the clocks
    /// have jumped.
    fn instant(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.zone
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map(|at| at.with_timezone(&Utc))
    }
}

/// The location's next business morning after `now`: when it first opens on a later day.
pub(super) fn next_business_morning(
    location: &locations::Model,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, StoreError> {
    let clock = LocalClock::of(location, now)?;
    let morning = clock.hours.next_morning(clock.local);
    Ok(clock.instant(morning).unwrap_or(now + Duration::days(1)))
}

/// When the location next opens, if it is closed at `now`.
pub(super) fn next_opening(
    location: &locations::Model,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let clock = LocalClock::of(location, now)?;
    Ok(clock
        .hours
        .next_opening(clock.local)
        .map(|opening| clock.instant(opening).unwrap_or(now)))
}

/// What cannot be delivered is refused before the decision, not approved and then failed.
pub(super) fn deliverable(
    row: &actions::Model,
    customer: &customers::Model,
    location: &locations::Model,
) -> Result<(), ServiceError> {
    check_reachable(
        row.channel,
        customer.email.as_deref(),
        customer.phone.as_deref(),
    )
    .map_err(|error| ServiceError::Invalid(vec![error]))?;
    if row.channel == Some(Channel::Email) && location.sending_address.trim().is_empty() {
        return Err(ServiceError::invalid(
            "sending_address",
            "the location has no sending address to send email from",
        ));
    }
    Ok(())
}

/// Checks a review against the loaded action and prepares its change.
pub(super) fn prepare_review(
    row: &actions::Model,
    customer: &customers::Model,
    location: &locations::Model,
    request: &ReviewRequest,
    actor: &Actor,
    now: DateTime<Utc>,
    undo_window: Duration,
) -> Result<PreparedChange, ServiceError> {
    check_version(row, request.expected_version(), now, "try again")?;
    if let ReviewRequest::Approve(approve) = request {
        check_body_bounds(approve.body.as_deref()).map_err(ServiceError::Invalid)?;
    }
    let decision = match request {
        // Sanitised first, so a body that is only markup counts as blank.
        ReviewRequest::Approve(approve) => ApproveAction {
            body: approve.body.as_deref().map(sanitize_html),
            ..approve.clone()
        }
        .decision(row.action_type),
        ReviewRequest::Reject(reject) => Decision::try_from(reject),
        ReviewRequest::Snooze(snooze) => {
            snooze.decision(now, next_business_morning(location, now)?)
        }
    }
    .map_err(ServiceError::Invalid)?;
    let lifecycle = lifecycle_of(row);
    let event = match &decision {
        Decision::Approve { .. } => {
            review::approval_event(row.channel, next_opening(location, now)?)
        }
        _ => decision.event(),
    };
    let transition = lifecycle.apply(event, now).map_err(|error| match error {
        TransitionError::NotAllowed { .. } | TransitionError::NotDue { .. } => {
            conflict(row, now, format!("{error}."))
        }
        TransitionError::TimeNotInFuture => ServiceError::invalid("until", "must be in the future"),
        TransitionError::SnoozePastExpiry { .. } => {
            let field = match request {
                ReviewRequest::Snooze(snooze) if snooze.duration.is_some() => "duration",
                _ => "until",
            };
            ServiceError::invalid(field, error)
        }
    })?;
    let edit = match &decision {
        Decision::Approve { changes } => {
            let values = fill_values(row, customer, location)?;
            let errors = unknown_variable_errors(
                changes
                    .subject
                    .as_ref()
                    .or(row.subject.as_ref())
                    .map(String::as_str),
                changes
                    .body
                    .as_ref()
                    .or(row.body.as_ref())
                    .map(String::as_str),
                changes
                    .script
                    .as_ref()
                    .or(row.script.as_ref())
                    .map(String::as_str),
                &values,
            );
            if !errors.is_empty() {
                return Err(ServiceError::Invalid(errors));
            }
            (!changes.is_empty()).then_some(changes)
        }
        _ => None,
    };
    if matches!(decision, Decision::Approve { .. }) {
        deliverable(row, customer, location)?;
    }
    let mut change = transition_change(row, &transition, Some(&decision), edit, actor, now);
    if let Decision::Approve { changes } = &decision {
        // It leaves once the undo window has passed, and a deferred call not before it opens.
        let deliver_at = match transition.event {
            LifecycleEvent::ApproveForLater { send_at } => send_at.max(now + undo_window),
            _ => now + undo_window,
        };
        let draft = PreviewDraft {
            subject: changes.subject.clone(),
            body: changes.body.clone(),
            script: changes.script.clone(),
        };
        let message = message(row, customer, location, &draft)?;
        change.delivery = Some(db::deliveries::new_row(row, message, deliver_at, now));
    }
    Ok(after_due_transitions(change, row, &lifecycle, now))
}

/// What a reviewer should know before deciding `row`: another reviewer's live lease (`lease`),
/// and for an approval what the location's safeguards say (`facts`).
pub(super) fn decision_warnings(
    row: &actions::Model,
    customer: &customers::Model,
    request: &ReviewRequest,
    lease: Option<&ReviewLease>,
    facts: &SafeguardFacts,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<WarningNotice>, ServiceError> {
    let mut warnings: Vec<WarningNotice> = held_warning(lease, &actor.0, now).into_iter().collect();
    if request.is_approval() {
        warnings.extend(facts.approval_warnings(row, &customer.full_name)?);
    }
    Ok(warnings)
}

/// The decision goes ahead only past warnings the reviewer acknowledged.
pub(super) fn check_confirmed(
    warnings: &[WarningNotice],
    acknowledged: &[ReviewWarning],
) -> Result<(), ServiceError> {
    let held_back = unconfirmed(warnings, acknowledged);
    if held_back.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::NeedsConfirmation(
            held_back.into_iter().cloned().collect(),
        ))
    }
}

/// One reviewer decision on one action.
pub async fn review(
    ctx: &Context<'_>,
    id: Uuid,
    request: ReviewRequest,
) -> Result<ActionDetail, ServiceError> {
    review_from(ctx, id, request, None).await
}

/// The warnings `request` on `row` would meet now.
pub async fn warnings_for(
    ctx: &Context<'_>,
    row: &actions::Model,
    customer: &customers::Model,
    request: &ReviewRequest,
) -> Result<Vec<WarningNotice>, ServiceError> {
    let (db, location, now) = (ctx.db, ctx.location, ctx.now);
    let lease = db::leases::live_of(db, location.id, &[row.id], now).await?;
    // Only an approval sends a message: only it counts the customer's.
    let counted: &[Uuid] = if request.is_approval() {
        &[customer.id]
    } else {
        &[]
    };
    let facts = SafeguardFacts::load(db, location, counted, now).await?;
    decision_warnings(
        row,
        customer,
        request,
        lease.get(&row.id),
        &facts,
        &ctx.actor,
        now,
    )
}

/// One reviewer decision on one action, made `via` somewhere other than the app when given
/// (`email` for a one-click link): the history says so.
#[tracing::instrument(skip_all, fields(action_id = %id))]
pub async fn review_from(
    ctx: &Context<'_>,
    id: Uuid,
    request: ReviewRequest,
    via: Option<&str>,
) -> Result<ActionDetail, ServiceError> {
    let (db, location, now) = (ctx.db, ctx.location, ctx.now);
    let row = load(db, location.id, id).await?;
    let customer = db::actions::customer_of(db, &row).await?;
    let mut change = prepare_review(
        &row,
        &customer,
        location,
        &request,
        &ctx.actor,
        now,
        ctx.undo_window,
    )?;
    if let (Some(via), Some(decided)) = (via, change.events.last_mut()) {
        decided.data["via"] = via.into();
    }
    // Asked only of a decision that could otherwise go ahead: a stale one hears that first.
    let warnings = warnings_for(ctx, &row, &customer, &request).await?;
    check_confirmed(&warnings, request.acknowledged())?;
    write_one(ctx, &change).await
}
