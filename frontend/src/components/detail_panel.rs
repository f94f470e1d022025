//! The split panel of the open action: Context & History on the left, the Message Draft and the
//! ways to respond on the right. It reloads whenever any action changes.

use inbox_domain::dto::ActionDetail;
use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::{
        action_context::ActionContext,
        decision::{Decide, Decided, Decision, Outcome, OutcomeNotice},
        delivery::DeliveryFacts,
        draft_view::{DraftView, History},
        error_notice::ErrorNotice,
        review::Review,
    },
    context::{Live, Session, Undo, Undoable},
    navigation::go,
    state::InboxView,
};

#[component]
pub fn DetailPanel(id: Uuid, view: Memo<InboxView>) -> impl IntoView {
    let live = expect_context::<Live>();
    let session = expect_context::<Session>();
    let undo = expect_context::<Undo>();
    // Both outlive the reloads a decision triggers, so its message stays on screen.
    let outcome = RwSignal::new(None::<Outcome>);
    let decide: Decide = Action::new_local(move |decision: &Decision| {
        let (decision, csrf) = (decision.clone(), session.csrf.clone());
        async move { decision.send(id, &csrf).await }
    });
    Effect::new(move |_| {
        let Some(answer) = decide.value().get() else {
            return;
        };
        // A conflict reloads too: the panel then shows where the action stands.
        let reload = answer.as_ref().map_or_else(ApiError::is_conflict, |_| true);
        if let Ok(Decided::Approved { leaves_in }) = answer {
            undo.offer(Undoable::Action(id), leaves_in);
        }
        outcome.set(Some(match answer {
            Ok(decided) => Outcome::Done(decided.said()),
            Err(error) => Outcome::Failed(error),
        }));
        if reload {
            live.changed();
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
