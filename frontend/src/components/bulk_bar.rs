//! The bar at the bottom while rows are selected: Bulk Approve (after a warning and a pre-flight
//! that says which actions can be sent and why the others cannot, then offering to undo the
//! batch), Bulk Reject and Bulk Snooze, and the report of what each decided.

use chrono::Duration;
use inbox_domain::{
    delivery::{Delivery, DeliveryState},
    dto::{ActionListItem, BulkOp, BulkRequest, BulkResponse, BulkResult, BulkTarget, VersionedId},
    safeguards::ReviewWarning,
    RejectionReason, SnoozeDuration,
};
use leptos::{html, prelude::*};
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::dialog::{focus_when_shown, trap_focus},
    context::{time_to_leave, Selection, Session, Undo, Undoable},
};

/// The most deliveries one page of the outbox holds (the server's limit).
const OUTBOX_PAGE_LIMIT: usize = 200;

/// How long until the first message of `approved` leaves, among the outbox's `deliveries`.
fn first_to_leave(deliveries: &[Delivery], approved: &[Uuid]) -> Option<Duration> {
    deliveries
        .iter()
        .filter(|delivery| approved.contains(&delivery.action_id))
        .map(time_to_leave)
        .min()
}

/// How long the batch `approved` can be taken back: until its first message leaves, as the
/// server scheduled it. The bulk answer does not carry the deliveries; they are the newest
/// scheduled ones in the outbox. `None` when the outbox cannot say.
async fn batch_leaves_in(approved: &[Uuid]) -> Option<Duration> {
    let limit = u32::try_from(approved.len().min(OUTBOX_PAGE_LIMIT)).ok()?;
    let page = api::deliveries(Some(DeliveryState::Scheduled), None, limit)
        .await
        .ok()?;
    first_to_leave(&page.items, approved)
}

/// What a bulk decision did: a summary, and one line per action that was not decided.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkReport {
    pub summary: String,
    pub failures: Vec<String>,
}

impl BulkReport {
    /// Names each undecided action by its subject (as the list showed it) and says why; for a
    /// pre-flight, also each one that could go but with a warning (`preflight`).
    fn of(response: &BulkResponse, subjects: &[(Uuid, String)], preflight: bool) -> BulkReport {
        let done = response.results.iter().filter(|r| r.ok).count();
        let failures = response
            .results
            .iter()
            .filter_map(|r| {
                let why = match &r.error {
                    Some(error) => error.detail.clone(),
                    None if preflight && !r.warnings.is_empty() => r
                        .warnings
                        .iter()
                        .map(|notice| notice.detail.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    None => return None,
                };
                let subject = subjects
                    .iter()
                    .find(|(id, _)| *id == r.id)
                    .map_or_else(|| r.id.to_string(), |(_, subject)| subject.clone());
                Some(format!("{subject}: {why}"))
            })
            .collect();
        BulkReport {
            summary: format!("{done} done."),
            failures,
        }
    }
}

/// The ids of a pre-flight's results that can be sent (`ok`), and of those the clean ones (no
/// warning).
fn sendable_and_clean(response: &BulkResponse) -> (Vec<Uuid>, Vec<Uuid>) {
    let sendable: Vec<&BulkResult> = response.results.iter().filter(|r| r.ok).collect();
    let clean = sendable
        .iter()
        .filter(|r| r.warnings.is_empty())
        .map(|r| r.id)
        .collect();
    (sendable.iter().map(|r| r.id).collect(), clean)
}

#[component]
pub fn BulkBar(
    selected: Selection,
    rows: RwSignal<Vec<ActionListItem>>,
    /// Runs after every bulk decision, decided or not.
    on_done: impl Fn() + 'static,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let preflight_csrf = session.csrf.clone();
    let undo = expect_context::<Undo>();
    let reason = RwSignal::new(RejectionReason::AlreadyResolved);
    let duration = RwSignal::new(SnoozeDuration::OneDay);
    let confirming = RwSignal::new(false);
    let preflight_subjects = RwSignal::new(Vec::<(Uuid, String)>::new());
    let bulk_cancel: NodeRef<html::Button> = NodeRef::new();
    let bulk_confirm: NodeRef<html::Button> = NodeRef::new();
    focus_when_shown(bulk_confirm);

    let decide = Action::new_local(
        move |(request, subjects): &(BulkRequest, Vec<(Uuid, String)>)| {
            let (request, subjects, csrf) =
                (request.clone(), subjects.clone(), session.csrf.clone());
            async move {
                let response = api::bulk(&request, &csrf).await?;
                if request.op == BulkOp::Approve {
                    let approved: Vec<Uuid> = response
                        .results
                        .iter()
                        .filter(|result| result.ok)
                        .map(|result| result.id)
                        .collect();
                    if !approved.is_empty() {
                        let leaves_in = batch_leaves_in(&approved).await;
                        undo.offer(Undoable::Batch(approved), leaves_in);
                    }
                }
                Ok::<_, ApiError>(BulkReport::of(&response, &subjects, false))
            }
        },
    );
    Effect::new(move |_| {
        let Some(result) = decide.value().get() else {
            return;
        };
        if result.is_ok() {
            selected.clear();
        }
        on_done();
    });
    // The selected actions (or `only` of them), each with the version on screen: a draft
    // someone changed meanwhile is not decided unseen (it comes back as a conflict).
    let targets = move |only: Option<&[Uuid]>| -> (Vec<BulkTarget>, Vec<(Uuid, String)>) {
        let ids: Vec<Uuid> = selected
            .0
            .get_untracked()
            .into_iter()
            .filter(|id| only.is_none_or(|only| only.contains(id)))
            .collect();
        rows.with_untracked(|rows| {
            let targets = ids
                .iter()
                .map(|id| match rows.iter().find(|row| row.id == *id) {
                    Some(row) => BulkTarget::Versioned(VersionedId {
                        id: row.id,
                        expected_version: row.version,
                    }),
                    None => BulkTarget::Id(*id),
                })
                .collect();
            let subjects = rows
                .iter()
                .filter(|row| ids.contains(&row.id))
                .map(|row| (row.id, row.subject.clone()))
                .collect();
            (targets, subjects)
        })
    };
    // A Bulk Approve is confirmed in its dialog, past the contact cap too (the pre-flight shows
    // who it concerns); another reviewer's open action is skipped whatever is acknowledged.
    let request = move |op: BulkOp, ids: Vec<BulkTarget>, dry_run: bool| BulkRequest {
        op,
        ids,
        reason: (op == BulkOp::Reject).then(|| reason.get_untracked()),
        note: None,
        duration: (op == BulkOp::Snooze).then(|| duration.get_untracked()),
        until: None,
        dry_run,
        acknowledged: if op == BulkOp::Approve {
            vec![ReviewWarning::ContactCap]
        } else {
            Vec::new()
        },
    };
    let run_on = move |op: BulkOp, only: Option<&[Uuid]>| {
        let (ids, subjects) = targets(only);
        confirming.set(false);
        decide.dispatch((request(op, ids, false), subjects));
    };
    let run = move |op: BulkOp| run_on(op, None);
    // Bulk Approve first asks the server what would happen to each selected action (a dry run)
    // and offers to send the clean ones.
    let preflight = Action::new_local(move |request: &BulkRequest| {
        let (request, csrf) = (request.clone(), preflight_csrf.clone());
        async move { api::bulk(&request, &csrf).await }
    });
    let check_then_confirm = move |_| {
        let (ids, subjects) = targets(None);
        preflight_subjects.set(subjects);
        preflight.dispatch(request(BulkOp::Approve, ids, true));
        confirming.set(true);
    };
    // What the pre-flight found: the ids that can be sent, and the clean ones among them.
    let checked = move || -> Option<(Vec<Uuid>, Vec<Uuid>)> {
        if preflight.pending().get() {
            return None;
        }
        match preflight.value().get()? {
            Ok(response) => Some(sendable_and_clean(&response)),
            Err(_) => None,
        }
    };
    let clean_ids = move || checked().map(|(_, clean)| clean);
    // Sendable, but some only with a warning: they can be sent all the same.
    let with_warnings = move || {
        checked()
            .filter(|(sendable, clean)| sendable.len() > clean.len())
            .map(|(sendable, _)| sendable)
    };
    view! {
        {move || decide.value().get().map(|result| {
            let BulkReport { summary, failures } = result.unwrap_or_else(|error| BulkReport {
                summary: error.message,
                failures: Vec::new(),
            });
            view! {
                <div class="toast" role="status">
                    <div>
                        <p>{summary}</p>
                        {(!failures.is_empty()).then(|| view! {
                            <ul class="bulk-failures">{failures.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                        })}
                    </div>
                    <button type="button" class="link" on:click=move |_| decide.clear()>"Dismiss"</button>
                </div>
            }
        })}
        <Show when=move || !selected.is_empty()>
            <section class="bulk-bar" aria-label="Bulk actions">
                <strong>{move || format!("{} selected", selected.len())}</strong>
                <button type="button" class="primary" on:click=check_then_confirm>"Bulk Approve"</button>
                <label>
                    "Reason"
                    <select prop:value=move || reason.get().as_str()
                        on:change=move |ev| if let Ok(r) = event_target_value(&ev).parse() { reason.set(r) }>
                        {RejectionReason::ALL.iter().filter(|r| **r != RejectionReason::Other).map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="danger" on:click=move |_| run(BulkOp::Reject)>"Bulk Reject"</button>
                <label>
                    "Snooze for"
                    <select prop:value=move || duration.get().as_str()
                        on:change=move |ev| if let Ok(d) = event_target_value(&ev).parse() { duration.set(d) }>
                        {SnoozeDuration::ALL.iter().map(|d| view! { <option value=d.as_str()>{d.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="secondary" on:click=move |_| run(BulkOp::Snooze)>"Bulk Snooze"</button>
                <button type="button" class="link" on:click=move |_| selected.clear()>"Clear selection"</button>
            </section>
        </Show>
        <Show when=move || confirming.get()>
            <div class="modal-backdrop">
                <div class="modal" role="dialog" aria-modal="true" aria-labelledby="bulk-approve-title"
                    on:keydown=move |ev| trap_focus(&ev, bulk_cancel, bulk_confirm)>
                    <h2 id="bulk-approve-title">{move || format!("Approve and send {} actions?", selected.len())}</h2>
                    <p class="warning">"Use bulk approval cautiously, and only for low-risk, similar actions (e.g., payment reminders). Every selected message goes out as drafted; you can undo the batch until the messages leave."</p>
                    <div class="preflight" aria-live="polite">
                        {move || match preflight.value().get().filter(|_| !preflight.pending().get()) {
                            None => view! { <p>"Checking the selection…"</p> }.into_any(),
                            Some(Err(error)) => view! { <p class="error">{error.message}</p> }.into_any(),
                            Some(Ok(response)) => {
                                let report = BulkReport::of(&response, &preflight_subjects.get(), true);
                                let (sendable, clean) = sendable_and_clean(&response);
                                let with_warning = sendable.len() - clean.len();
                                let summary = if with_warning == 0 {
                                    format!("{} of {} can be sent.", sendable.len(), response.results.len())
                                } else {
                                    format!(
                                        "{} of {} can be sent, {with_warning} of them with a warning.",
                                        sendable.len(),
                                        response.results.len()
                                    )
                                };
                                view! {
                                    <p>{summary}</p>
                                    {(!report.failures.is_empty()).then(|| view! {
                                        <ul class="bulk-failures">{report.failures.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                                    })}
                                }.into_any()
                            }
                        }}
                    </div>
                    <div class="modal-actions">
                        <button type="button" class="secondary" node_ref=bulk_cancel on:click=move |_| confirming.set(false)>"Cancel"</button>
                        {move || with_warnings().map(|sendable| {
                            let label = format!("Send all {} that can go", sendable.len());
                            view! {
                                <button type="button" class="secondary"
                                    on:click=move |_| run_on(BulkOp::Approve, Some(&sendable))>{label}</button>
                            }
                        })}
                        <button type="button" class="primary" node_ref=bulk_confirm
                            disabled=move || clean_ids().is_none_or(|clean| clean.is_empty())
                            on:click=move |_| {
                                let clean = clean_ids().unwrap_or_default();
                                run_on(BulkOp::Approve, Some(&clean));
                            }>
                            {move || match clean_ids() {
                                Some(clean) if clean.len() == 1 && selected.len() > 1 => "Approve the 1 clean one".to_owned(),
                                Some(clean) if clean.len() < selected.len() => format!("Approve the {} clean ones", clean.len()),
                                _ => "Approve & Send all".to_owned(),
                            }}
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}

/// The bulk bar's code is a WASM chunk of its own (`just spa`), fetched on the reviewer's first
/// selection: the inbox's opening download does without it.
#[lazy]
fn bulk_bar_view(
    selected: Selection,
    rows: RwSignal<Vec<ActionListItem>>,
    on_done: Callback<()>,
) -> AnyView {
    view! { <BulkBar selected rows on_done=move || on_done.run(())/> }.into_any()
}

/// The bulk bar (see [`BulkBar`]) from the first selection on; it stays, to report what a
/// decision did after the selection is cleared.
#[component]
pub fn LazyBulkBar(
    selected: Selection,
    rows: RwSignal<Vec<ActionListItem>>,
    /// Runs after every bulk decision, decided or not.
    on_done: Callback<()>,
) -> impl IntoView {
    // Once true, true: a memo says so once, so that selecting more rows keeps the bar (and what
    // the reviewer chose in it) rather than building it again.
    let wanted =
        Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || !selected.is_empty());
    move || {
        wanted.get().then(|| {
            view! {
                <Suspense>{Suspend::new(bulk_bar_view(selected, rows, on_done))}</Suspense>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_domain::{
        dto::BulkError,
        safeguards::{ReviewWarning, WarningNotice},
        ActionStatus,
    };

    #[test]
    fn a_batch_can_be_taken_back_until_its_first_message_leaves() {
        let (mine, also_mine, other) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let scheduled = |action_id, seconds| {
            let created_at = chrono::Utc::now();
            Delivery {
                id: Uuid::nil(),
                action_id,
                channel: inbox_domain::delivery::DeliveryChannel::Email,
                state: DeliveryState::Scheduled,
                deliver_at: created_at + Duration::seconds(seconds),
                attempts: 0,
                last_error: None,
                recipient: None,
                sender: None,
                subject: None,
                body_html: None,
                body_text: None,
                script: None,
                provider_id: None,
                created_at,
                sent_at: None,
            }
        };
        let outbox = [
            scheduled(other, 3),
            scheduled(mine, 3600),
            scheduled(also_mine, 10),
        ];
        assert_eq!(
            first_to_leave(&outbox, &[mine, also_mine]),
            Some(Duration::seconds(10))
        );
        assert_eq!(first_to_leave(&outbox, &[Uuid::from_u128(4)]), None);
    }

    #[test]
    fn the_report_names_each_undecided_action_by_its_subject() {
        let (done, taken, unknown) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let failed = |id, detail: &str| BulkResult {
            id,
            ok: false,
            status: Some(ActionStatus::Rejected),
            error: Some(BulkError {
                status: 409,
                detail: detail.to_owned(),
            }),
            warnings: Vec::new(),
        };
        let response = BulkResponse {
            results: vec![
                BulkResult {
                    id: done,
                    ok: true,
                    status: Some(ActionStatus::Snoozed),
                    error: None,
                    warnings: Vec::new(),
                },
                failed(taken, "a rejected action cannot be snoozed"),
                failed(unknown, "no such action"),
            ],
        };
        let subjects = vec![(done, "Invoice".to_owned()), (taken, "Renewal".to_owned())];
        assert_eq!(
            BulkReport::of(&response, &subjects, false),
            BulkReport {
                summary: "1 done.".to_owned(),
                failures: vec![
                    "Renewal: a rejected action cannot be snoozed".to_owned(),
                    format!("{unknown}: no such action"),
                ],
            }
        );
    }

    #[test]
    fn a_preflight_counts_an_action_with_a_warning_as_sendable_but_not_clean() {
        let (clean, unsure, taken) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let result = |id, ok, warnings: Vec<WarningNotice>| BulkResult {
            id,
            ok,
            status: Some(ActionStatus::Approved),
            error: (!ok).then(|| BulkError {
                status: 409,
                detail: "Ana is reviewing this action. Skipped: open it to decide it.".to_owned(),
            }),
            warnings,
        };
        let low = WarningNotice {
            warning: ReviewWarning::LowConfidence,
            detail: "The agent is 40% confident, under the location's 60%.".to_owned(),
        };
        let response = BulkResponse {
            results: vec![
                result(clean, true, Vec::new()),
                result(unsure, true, vec![low]),
                result(taken, false, Vec::new()),
            ],
        };
        assert_eq!(
            sendable_and_clean(&response),
            (vec![clean, unsure], vec![clean])
        );
        let subjects = vec![
            (unsure, "Renewal".to_owned()),
            (taken, "Invoice".to_owned()),
        ];
        assert_eq!(
            BulkReport::of(&response, &subjects, true).failures,
            [
                "Renewal: The agent is 40% confident, under the location's 60%.",
                "Invoice: Ana is reviewing this action. Skipped: open it to decide it.",
            ]
        );
    }
}
