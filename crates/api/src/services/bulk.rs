//! Many decisions in one round trip: one read of the rows, one write transaction; each id
//! succeeds or fails on its own.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::{ApproveAction, BulkOp, BulkRequest, BulkTarget, RejectAction, SnoozeAction},
    problem::FieldErrors,
    review::{reject_decision, snooze_decision, Decision, MAX_BULK_IDS},
    safeguards::{ReviewWarning, WarningNotice},
    ActionStatus,
};
use rayon::prelude::*;
use uuid::Uuid;

use super::{
    change::{check_version, conflict, not_found},
    review::{
        check_confirmed, decision_warnings, next_business_morning, prepare_review, ReviewRequest,
    },
    undo::{lost_race, prepare_undo},
    Context, ServiceError,
};
use crate::db::{
    self,
    actions::{lifecycle_of, PreparedChange},
    safeguards::SafeguardFacts,
    StoreError,
};

/// Ids one core prepares at least: fewer are not worth handing to another.
const PREPARED_PER_CORE: usize = 32;

/// What happened to one id of a bulk request.
#[derive(Debug)]
pub struct BulkOutcome {
    pub id: Uuid,
    /// The status it was moved to, or why it was not.
    pub result: Result<ActionStatus, ServiceError>,
    /// Where it stands when it was not moved (absent for an unknown id).
    pub current: Option<ActionStatus>,
    /// What the reviewer should know about it (see `BulkResult::warnings`).
    pub warnings: Vec<WarningNotice>,
}

/// What a bulk request does to each id.
#[derive(Debug)]
enum Verb {
    Review(ReviewRequest),
    Undo,
}

/// Checks the fields a bulk request shares by every id, once.
fn shared_review(
    request: &BulkRequest,
    now: DateTime<Utc>,
    next_business_morning: DateTime<Utc>,
) -> Result<Verb, ServiceError> {
    let mut errors = FieldErrors::default();
    if request.ids.is_empty() || request.ids.len() > MAX_BULK_IDS {
        errors.add("ids", format!("give 1 to {MAX_BULK_IDS} ids"));
    }
    let op = format!("{:?}", request.op).to_lowercase();
    let mut stray = |field: &str, present: bool| {
        if present {
            errors.add(field, format!("not used by `{op}`"));
        }
    };
    match request.op {
        BulkOp::Approve => {
            stray("reason", request.reason.is_some());
            stray("note", request.note.is_some());
            stray("duration", request.duration.is_some());
            stray("until", request.until.is_some());
        }
        BulkOp::Reject => {
            stray("duration", request.duration.is_some());
            stray("until", request.until.is_some());
        }
        BulkOp::Snooze => stray("reason", request.reason.is_some()),
        BulkOp::Undo => {
            stray("reason", request.reason.is_some());
            stray("note", request.note.is_some());
            stray("duration", request.duration.is_some());
            stray("until", request.until.is_some());
        }
    }
    let review = match request.op {
        BulkOp::Undo => Some(Verb::Undo),
        BulkOp::Approve => Some(Verb::Review(ReviewRequest::Approve(
            ApproveAction::default(),
        ))),
        BulkOp::Reject => match request.reason {
            Some(reason) => errors
                .check(reject_decision(reason, &request.note))
                .map(|_| {
                    Verb::Review(ReviewRequest::Reject(RejectAction {
                        expected_version: None,
                        reason,
                        note: request.note.clone(),
                        acknowledged: Vec::new(),
                    }))
                }),
            None => {
                errors.add("reason", "a rejection needs a reason");
                None
            }
        },
        // Every id gets the same wake-up time, fixed now.
        BulkOp::Snooze => match errors.check(snooze_decision(
            request.duration,
            request.until,
            &request.note,
            now,
            next_business_morning,
        )) {
            Some(Decision::Snooze { until, .. }) => {
                Some(Verb::Review(ReviewRequest::Snooze(SnoozeAction {
                    expected_version: None,
                    duration: None,
                    until: Some(until),
                    note: request.note.clone(),
                    acknowledged: Vec::new(),
                })))
            }
            _ => None,
        },
    };
    match review {
        Some(review) if errors.is_empty() => Ok(review),
        _ => Err(ServiceError::Invalid(
            errors.finish(()).err().unwrap_or_default(),
        )),
    }
}

/// Decides every id of the request, each on its own; the outcomes are in the request's order.
#[tracing::instrument(skip_all, fields(op = ?request.op, ids = request.ids.len()))]
pub async fn bulk(
    ctx: &Context<'_>,
    request: &BulkRequest,
) -> Result<Vec<BulkOutcome>, ServiceError> {
    let (db, location, now, actor) = (ctx.db, ctx.location, ctx.now, &ctx.actor);
    let verb = shared_review(request, now, next_business_morning(location, now)?)?;
    let mut ids: Vec<Uuid> = request.ids.iter().map(BulkTarget::id).collect();
    ids.sort();
    ids.dedup();
    // The version the reviewer saw, where they said (the first, for an id given twice).
    let mut expected: HashMap<Uuid, i32> = HashMap::new();
    for target in &request.ids {
        if let Some(version) = target.expected_version() {
            expected.entry(target.id()).or_insert(version);
        }
    }
    // What the checks read, each on a connection of its own: the rows with what an undo or a
    // review needs beside them (both need only the ids), then the rows' customers with what
    // each was sent lately (both need only the rows).
    let (rows, live, leases) = tokio::try_join!(
        db::actions::find_many(db, location.id, &ids),
        async {
            match verb {
                Verb::Undo => db::deliveries::live_for(db, location.id, &ids).await,
                Verb::Review(_) => Ok(HashMap::new()),
            }
        },
        async {
            match verb {
                Verb::Undo => Ok(HashMap::new()),
                Verb::Review(_) => db::leases::live_of(db, location.id, &ids, now).await,
            }
        },
    )?;
    let mut customer_ids: Vec<Uuid> = rows.values().map(|row| row.customer_id).collect();
    customer_ids.sort();
    customer_ids.dedup();
    let approving = matches!(&verb, Verb::Review(review) if review.is_approval());
    // Only an approval's checks count what its customers were sent.
    let capped: &[Uuid] = if approving { &customer_ids } else { &[] };
    let (customers, mut facts) = tokio::try_join!(
        async {
            db::actions::customers_of(db, location.id, &customer_ids)
                .await
                .map_err(ServiceError::from)
        },
        async {
            SafeguardFacts::load(db, location, capped, now)
                .await
                .map_err(ServiceError::from)
        },
    )?;
    // An action another reviewer has open is always skipped: only the cap can be acknowledged.
    let acknowledged: Vec<ReviewWarning> = request
        .acknowledged
        .iter()
        .copied()
        .filter(|warning| *warning != ReviewWarning::HeldByAnother)
        .collect();
    let mut warnings: HashMap<Uuid, Vec<WarningNotice>> = HashMap::new();

    // Each id's own checks and change. An approval's includes rendering and sanitising the
    // message it sends, most of the request's work, so a large request shares it out over the
    // cores. The warnings follow one id at a time, in order: each counts what the ids before it
    // send.
    let prepare = |id: &Uuid| -> Option<Result<PreparedChange, ServiceError>> {
        let row = rows.get(id)?;
        let seen = check_version(row, expected.get(id).copied(), now, "decide it again");
        Some(seen.and_then(|()| match &verb {
            Verb::Undo => prepare_undo(row, live.get(id), actor, now),
            Verb::Review(review) => {
                let customer = customers.get(&row.customer_id).ok_or_else(|| {
                    ServiceError::from(StoreError::Corrupt(format!("action {id} has no customer")))
                })?;
                prepare_review(row, customer, location, review, actor, now, ctx.undo_window)
            }
        }))
    };
    let own: Vec<Option<Result<PreparedChange, ServiceError>>> = ids
        .par_iter()
        .with_min_len(PREPARED_PER_CORE)
        .map(prepare)
        .collect();

    // Prepared in id order, so concurrent bulk requests lock rows in the same order.
    let mut results: HashMap<Uuid, Result<ActionStatus, ServiceError>> = HashMap::new();
    let mut prepared: Vec<PreparedChange> = Vec::new();
    for (id, own) in ids.iter().zip(own) {
        let (Some(row), Some(own)) = (rows.get(id), own) else {
            results.insert(*id, Err(not_found(*id)));
            continue;
        };
        let change = own.and_then(|change| match &verb {
            Verb::Undo => Ok(change),
            Verb::Review(review) => {
                // Prepared, so its customer was found.
                let customer = &customers[&row.customer_id];
                let found =
                    decision_warnings(row, customer, review, leases.get(id), &facts, actor, now)?;
                let held = found
                    .iter()
                    .find(|notice| notice.warning == ReviewWarning::HeldByAnother)
                    .map(|notice| {
                        ServiceError::WrongState(format!(
                            "{} Skipped: open it to decide it.",
                            notice.detail
                        ))
                    });
                let confirmed = match held {
                    Some(skipped) => Err(skipped),
                    None => check_confirmed(&found, &acknowledged),
                };
                warnings.insert(*id, found);
                confirmed.map(|()| change)
            }
        });
        if approving && change.is_ok() && row.action_type.channel().is_some() {
            // The next action for the same customer counts this message (a note reaches
            // nobody outside).
            facts.count_one_more(row.customer_id);
        }
        match change {
            Ok(change) => prepared.push(change),
            Err(error) => {
                results.insert(*id, Err(error));
            }
        }
    }
    if request.dry_run {
        // The pre-flight: every check of the decision ran; nothing is written.
        for change in &prepared {
            results.insert(change.id, Ok(change.change.status));
        }
    } else {
        write_all(ctx, &verb, &rows, &prepared, &mut results).await?;
    }

    Ok(request
        .ids
        .iter()
        .map(|target| {
            let id = &target.id();
            let result = results.remove(id).unwrap_or_else(|| Err(not_found(*id)));
            let current = match &result {
                Ok(_) => None,
                Err(ServiceError::Conflict { status, .. }) => Some(*status),
                Err(_) => rows.get(id).map(|row| lifecycle_of(row).status_at(now)),
            };
            BulkOutcome {
                id: *id,
                result,
                current,
                warnings: warnings.get(id).cloned().unwrap_or_default(),
            }
        })
        .collect())
}

/// Writes the prepared changes in one transaction; where another writer got there first, the
/// id's result is the conflict, reported as the action is now.
async fn write_all(
    ctx: &Context<'_>,
    verb: &Verb,
    rows: &HashMap<Uuid, crate::db::entities::actions::Model>,
    prepared: &[PreparedChange],
    results: &mut HashMap<Uuid, Result<ActionStatus, ServiceError>>,
) -> Result<(), ServiceError> {
    let (db, location, now) = (ctx.db, ctx.location, ctx.now);
    let changes: Vec<&PreparedChange> = prepared.iter().collect();
    // A retry that lost its response is not answered with one action, even for a single id:
    // the answer of a bulk request is a list of results.
    let claim = ctx.claim.map(|claim| (claim, None));
    let applied = db::actions::write_changes(db, ctx.bus, &changes, claim).await?;
    let lost: Vec<Uuid> = prepared
        .iter()
        .zip(&applied)
        .filter(|(_, done)| !**done)
        .map(|(change, _)| change.id)
        .collect();
    // Where another writer got there first, report the action as it is now.
    let current = if lost.is_empty() {
        HashMap::new()
    } else {
        db::actions::find_many(db, location.id, &lost).await?
    };
    for (change, done) in prepared.iter().zip(&applied) {
        let result = if *done {
            Ok(change.change.status)
        } else {
            let row = current.get(&change.id).unwrap_or(&rows[&change.id]);
            let error = conflict(
                row,
                now,
                "Someone else decided this action first.".to_owned(),
            );
            Err(match verb {
                Verb::Undo => lost_race(error),
                Verb::Review(_) => error,
            })
        };
        results.insert(change.id, result);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_domain::SnoozeDuration;

    fn request(op: BulkOp) -> BulkRequest {
        BulkRequest {
            op,
            ids: vec![Uuid::nil().into()],
            reason: None,
            note: None,
            duration: None,
            until: None,
            dry_run: false,
            acknowledged: Vec::new(),
        }
    }

    fn refused_fields(request: &BulkRequest) -> Vec<String> {
        match shared_review(
            request,
            DateTime::<Utc>::UNIX_EPOCH,
            DateTime::<Utc>::UNIX_EPOCH,
        ) {
            Err(ServiceError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn fields_another_verb_uses_are_refused() {
        let approve = BulkRequest {
            note: Some("why".into()),
            duration: Some(SnoozeDuration::OneHour),
            ..request(BulkOp::Approve)
        };
        assert_eq!(refused_fields(&approve), ["note", "duration"]);
        let undo = BulkRequest {
            reason: Some(inbox_domain::RejectionReason::Other),
            ..request(BulkOp::Undo)
        };
        assert_eq!(refused_fields(&undo), ["reason"]);
    }

    #[test]
    fn a_rejection_needs_a_reason_and_a_list_of_ids() {
        let reject = BulkRequest {
            ids: Vec::new(),
            ..request(BulkOp::Reject)
        };
        assert_eq!(refused_fields(&reject), ["ids", "reason"]);
    }

    #[test]
    fn every_id_snoozes_until_the_same_time() {
        let snooze = BulkRequest {
            duration: Some(SnoozeDuration::OneDay),
            ..request(BulkOp::Snooze)
        };
        let Ok(Verb::Review(ReviewRequest::Snooze(snooze))) = shared_review(
            &snooze,
            DateTime::<Utc>::UNIX_EPOCH,
            DateTime::<Utc>::UNIX_EPOCH,
        ) else {
            panic!("expected a snooze");
        };
        assert_eq!(
            snooze.until,
            Some(DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1))
        );
    }
}
