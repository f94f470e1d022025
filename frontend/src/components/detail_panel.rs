//! The split panel of the open action: Context & History on the left, the Message Draft and the
//! ways to respond on the right. It reloads whenever any action changes.

use inbox_domain::{
    dto::{ActionDetail, ActionListItem},
    safeguards::{ReviewWarning, WarningNotice},
};
use leptos::{html, prelude::*};
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::{
        action_context::ActionContext,
        decision::{Decide, Decided, Decision, Outcome, OutcomeNotice},
        delivery::DeliveryFacts,
        dialog::{focus_when_shown, trap_focus},
        draft_view::{DraftView, History},
        error_notice::ErrorNotice,
        review::Review,
    },
    context::{Live, Presence, Session, Undo, Undoable},
    navigation::go,
    state::InboxView,
};

/// What a decision said, handed to the panel of the next action it opened.
pub type Carried = RwSignal<Option<(Uuid, Outcome)>>;

/// The action to open after `id` is decided: the first row below it in `rows` that is still to
/// decide and not `taken` (another reviewer has it open), else the nearest such row above;
/// none when `id` is not listed or no other row qualifies.
pub fn next_after(rows: &[ActionListItem], id: Uuid, taken: impl Fn(Uuid) -> bool) -> Option<Uuid> {
    let at = rows.iter().position(|row| row.id == id)?;
    let open_to_me = |row: &&ActionListItem| row.status.is_reviewable() && !taken(row.id);
    rows[at + 1..]
        .iter()
        .find(open_to_me)
        .or_else(|| rows[..at].iter().rev().find(open_to_me))
        .map(|row| row.id)
}

#[component]
pub fn DetailPanel(
    id: Uuid,
    view: Memo<InboxView>,
    /// The list beside the panel: after a decision the next of its rows opens.
    rows: RwSignal<Vec<ActionListItem>>,
    /// What the previous panel's decision said, when it opened this one.
    carried: Carried,
) -> impl IntoView {
    let live = expect_context::<Live>();
    let session = expect_context::<Session>();
    let undo = expect_context::<Undo>();
    let presence = expect_context::<Presence>();
    // Both outlive the reloads a decision triggers, so its message stays on screen.
    let outcome = RwSignal::new(
        carried
            .get_untracked()
            .filter(|(for_id, _)| *for_id == id)
            .map(|(_, said)| said),
    );
    carried.set(None);
    // The decision last sent, and the warnings it waits on when the server asked to confirm.
    let last_decision = StoredValue::new(None::<Decision>);
    let to_confirm = RwSignal::new(None::<(Decision, Vec<WarningNotice>)>);
    hold_lease(id, session.csrf.clone());
    let decide: Decide = Action::new_local(move |decision: &Decision| {
        let (decision, csrf) = (decision.clone(), session.csrf.clone());
        last_decision.set_value(Some(decision.clone()));
        async move { decision.send(id, &csrf).await }
    });
    Effect::new(move |_| {
        let Some(answer) = decide.value().get() else {
            return;
        };
        if let Err(error) = &answer {
            if error.needs_confirmation() {
                if let Some(decision) = last_decision.get_value() {
                    to_confirm.set(Some((decision, error.warnings.clone())));
                    return;
                }
            }
        }
        // A conflict reloads too: the panel then shows where the action stands.
        let reload = answer.as_ref().map_or_else(ApiError::is_conflict, |_| true);
        if let Ok(Decided::Approved { leaves_in }) = answer {
            undo.offer(Undoable::Action(id), leaves_in);
        }
        if reload {
            live.changed();
        }
        match answer {
            // Decided: on to the next action, which says what became of this one.
            Ok(decided) => match rows.with_untracked(|rows| {
                next_after(rows, id, |other| {
                    untrack(|| presence.other_reviewer(other).is_some())
                })
            }) {
                Some(next) => {
                    let said = format!("{} The next action is open.", decided.said());
                    carried.set(Some((next, Outcome::Done(said))));
                    go(&InboxView {
                        open: Some(next),
                        ..view.get_untracked()
                    });
                }
                None => outcome.set(Some(Outcome::Done(decided.said().to_owned()))),
            },
            Err(error) => outcome.set(Some(Outcome::Failed(error))),
        }
    });
    // Taken back: the "sent" message no longer holds.
    Effect::new(move |first: Option<()>| {
        undo.undone.track();
        if first.is_some() {
            outcome.set(None);
        }
    });
    let detail = LocalResource::new(move || {
        live.changes.track();
        api::action(id)
    });
    let close = move |_| {
        go(&InboxView {
            open: None,
            ..view.get_untracked()
        })
    };
    view! {
        <aside class="detail" aria-label="Action detail">
            <button type="button" class="close" aria-label="Close the detail panel" on:click=close>"×"</button>
            {move || presence.other_reviewer(id).map(|name| view! {
                <p class="presence-banner" role="status">{format!("{name} is reviewing this action.")}</p>
            })}
            {move || to_confirm.get().map(|(decision, warnings)| view! {
                <ConfirmDespite decision warnings
                    on_confirm=move |confirmed| { to_confirm.set(None); decide.dispatch(confirmed); }
                    on_cancel=move || to_confirm.set(None)/>
            })}
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the action…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <Detail detail outcome decide/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </aside>
    }
}

/// How often an open panel renews its lease (a third of the lease, so one missed renewal does
/// not end it).
const LEASE_RENEWAL: std::time::Duration = std::time::Duration::from_secs(20);

/// Holds this reviewer's lease of action `id` while the panel is open: taken at once, renewed
/// while the tab is visible, released when the panel closes.
fn hold_lease(id: Uuid, csrf: String) {
    let take = {
        let csrf = csrf.clone();
        move || {
            let csrf = csrf.clone();
            leptos::task::spawn_local(async move {
                // A lease that cannot be taken changes nothing the reviewer does.
                let _ = api::take_lease(id, &csrf).await;
            });
        }
    };
    take();
    let renewal = set_interval_with_handle(
        move || {
            if !document().hidden() {
                take();
            }
        },
        LEASE_RENEWAL,
    );
    on_cleanup(move || {
        if let Ok(handle) = renewal {
            handle.clear();
        }
        leptos::task::spawn_local(async move {
            let _ = api::release_lease(id, &csrf).await;
        });
    });
}

/// "Ana is reviewing this — decide anyway?": the warnings a decision waits on, and the way to go
/// ahead despite them.
#[component]
fn ConfirmDespite(
    decision: Decision,
    warnings: Vec<WarningNotice>,
    on_confirm: impl Fn(Decision) + 'static,
    on_cancel: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let title = warnings
        .iter()
        .find(|notice| notice.warning == ReviewWarning::HeldByAnother)
        .map_or_else(
            || "Decide anyway?".to_owned(),
            |notice| {
                let who = notice.detail.trim_end_matches(" is reviewing this action.");
                format!("{who} is reviewing this — decide anyway?")
            },
        );
    let confirmed = decision.acknowledging(&warnings);
    let others: Vec<WarningNotice> = warnings
        .into_iter()
        .filter(|notice| notice.warning != ReviewWarning::HeldByAnother)
        .collect();
    let confirm_button: NodeRef<html::Button> = NodeRef::new();
    let cancel_button: NodeRef<html::Button> = NodeRef::new();
    focus_when_shown(confirm_button);
    let cancel = on_cancel.clone();
    view! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="despite-title"
                on:keydown=move |ev| trap_focus(&ev, cancel_button, confirm_button)>
                <h2 id="despite-title">{title}</h2>
                // The title says who is reviewing it; the rest is listed.
                {(!others.is_empty()).then(|| view! {
                    <ul class="warnings">
                        {others.iter().map(|notice| view! { <li>{notice.detail.clone()}</li> }).collect_view()}
                    </ul>
                })}
                <div class="modal-actions">
                    <button type="button" class="secondary" node_ref=cancel_button on:click=move |_| cancel()>"Cancel"</button>
                    <button type="button" class="primary" node_ref=confirm_button
                        on:click=move |_| on_confirm(confirmed.clone())>"Decide anyway"</button>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(ids: &[u128]) -> Vec<ActionListItem> {
        let template: ActionListItem = serde_json::from_value(serde_json::json!({
            "id": Uuid::nil(), "subject": "s",
            "customer": {"id": Uuid::nil(), "full_name": "Zoë", "company": null, "customer_type": "member"},
            "agent": {"id": Uuid::nil(), "name": "a"},
            "action_type": "draft_message", "channel": "email", "confidence": 80,
            "priority": "high", "status": "pending",
            "created_at": "2026-12-01T09:00:00Z", "expires_at": "2026-12-04T09:00:00Z",
            "version": 1, "delivery_state": null, "pending_for_customer": 1
        }))
        .expect("a list item");
        ids.iter()
            .map(|id| ActionListItem {
                id: Uuid::from_u128(*id),
                ..template.clone()
            })
            .collect()
    }

    #[test]
    fn the_next_action_is_the_row_below_else_the_one_above() {
        let free = |_| false;
        let list = rows(&[1, 2, 3]);
        let id = Uuid::from_u128;
        assert_eq!(next_after(&list, id(1), free), Some(id(2)));
        assert_eq!(next_after(&list, id(3), free), Some(id(2)));
        assert_eq!(next_after(&rows(&[1]), id(1), free), None);
        assert_eq!(next_after(&list, id(9), free), None, "not listed");
    }

    #[test]
    fn the_next_action_skips_one_a_colleague_has_open_or_that_is_decided() {
        let id = Uuid::from_u128;
        let mut list = rows(&[1, 2, 3, 4]);
        list[3].status = inbox_domain::ActionStatus::Rejected;
        assert_eq!(
            next_after(&list, id(1), |other| other == id(2)),
            Some(id(3))
        );
        assert_eq!(
            next_after(&list, id(3), |_| false),
            Some(id(2)),
            "the decided row below is skipped"
        );
        assert_eq!(
            next_after(&list, id(3), |other| other != id(1)),
            Some(id(1))
        );
    }
}

#[component]
fn Detail(
    detail: ActionDetail,
    outcome: RwSignal<Option<Outcome>>,
    decide: Decide,
) -> impl IntoView {
    let reviewable = detail.status.is_reviewable();
    // Sent, or approved and waiting: the undo window, or opening hours for a deferred call (the
    // server shows no delivery that was taken back).
    let delivery = detail.delivery.clone();
    let detail = StoredValue::new(detail);
    view! {
        <div class="split">
            <section class="context" aria-labelledby="context-title">
                <h2 id="context-title">"Context & History"</h2>
                <ActionContext detail=detail.get_value()/>
            </section>
            <section class="draft" aria-labelledby="draft-title">
                <h2 id="draft-title">"Message Draft"</h2>
                {move || outcome.get().map(|outcome| view! { <OutcomeNotice outcome/> })}
                {if reviewable {
                    view! { <Review detail=detail.get_value() outcome decide/> }.into_any()
                } else {
                    view! {
                        {delivery.map(|delivery| view! { <DeliveryFacts delivery/> })}
                        <DraftView detail=detail.get_value()/>
                        <History detail=detail.get_value()/>
                    }.into_any()
                }}
            </section>
        </div>
    }
}

/// The split panel's code is a WASM chunk of its own (`just spa`): the inbox's first paint does
/// not wait for it, and [`fetch_panel_code`] brings it in behind the list.
#[lazy]
fn detail_panel_view(
    id: Uuid,
    view: Memo<InboxView>,
    rows: RwSignal<Vec<ActionListItem>>,
    carried: Carried,
) -> AnyView {
    view! { <DetailPanel id view rows carried/> }.into_any()
}

/// The split panel of action `id` (see [`DetailPanel`]), once its code is loaded.
#[component]
pub fn LazyDetailPanel(
    id: Uuid,
    view: Memo<InboxView>,
    rows: RwSignal<Vec<ActionListItem>>,
    carried: Carried,
) -> impl IntoView {
    let loading = || {
        view! {
            <aside class="detail" aria-label="Action detail">
                <p class="loading" role="status">"Loading the action…"</p>
            </aside>
        }
    };
    view! {
        <Suspense fallback=loading>
            {Suspend::new(detail_panel_view(id, view, rows, carried))}
        </Suspense>
    }
}

/// Starts loading the split panel's code, so that the first action opened does not wait for it.
pub fn fetch_panel_code() {
    leptos::task::spawn_local(__preload_detail_panel_view());
}
