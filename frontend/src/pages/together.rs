//! A customer's pending actions side by side: what each agent wants to say to them, to choose
//! between or combine before anything goes out.

use inbox_domain::{display::customer_line, dto::ActionDetail, ActionStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::{draft_view::DraftView, error_notice::ErrorNotice},
    context::Live,
    navigation::go,
    state::InboxView,
};

/// The most actions shown side by side; the list shows the rest.
const MOST_SIDE_BY_SIDE: usize = 6;

/// A customer's pending actions: how many, and the newest of them in full, oldest first.
#[derive(Clone)]
struct Pending {
    name: String,
    line: String,
    total: usize,
    shown: Vec<ActionDetail>,
}

/// The pending actions of customer `id`.
async fn pending_of(id: Uuid) -> Result<Pending, ApiError> {
    let customer = api::customer(id).await?;
    let all: Vec<Uuid> = customer
        .actions
        .iter()
        .filter(|action| action.status == ActionStatus::Pending)
        .map(|action| action.id)
        .collect();
    let total = all.len();
    let mut pending: Vec<Uuid> = all.into_iter().take(MOST_SIDE_BY_SIDE).collect();
    // The customer's actions come newest first; read them in the order they were proposed.
    pending.reverse();
    let line = customer
        .actions
        .first()
        .map(|action| customer_line(&action.customer))
        .unwrap_or_default();
    let mut shown = Vec::with_capacity(pending.len());
    for action in pending {
        shown.push(api::action(action).await?);
    }
    Ok(Pending {
        name: customer.profile.full_name,
        line,
        total,
        shown,
    })
}

/// `/customers/:id/together`.
#[component]
pub fn TogetherPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|params| params.get("id").and_then(|id| id.parse::<Uuid>().ok()));
    let live = expect_context::<Live>();
    // Fresh after every change: a decision here or elsewhere.
    let actions = LocalResource::new(move || {
        live.changes.track();
        let id = id();
        async move {
            match id {
                Some(id) => pending_of(id).await,
                None => Err(ApiError::not_found("There is no such customer.")),
            }
        }
    });
    view! {
        <main class="page together">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the customer's actions…"</p> }>
                {move || Suspend::new(async move {
                    match actions.await {
                        Ok(Pending { name, line, total, shown }) => {
                            let in_list = InboxView {
                                q: Some(name.clone()),
                                ..InboxView::default()
                            };
                            let more = (total > shown.len())
                                .then(|| format!("The newest {}; the list shows them all.", shown.len()));
                            view! {
                                <header class="together-header">
                                    <h2>{format!("{total} pending for {name}")}</h2>
                                    <p class="muted">{line}</p>
                                    {more.map(|more| view! { <p class="muted">{more}</p> })}
                                    <button type="button" class="link" on:click=move |_| go(&in_list)>"Show them in the list"</button>
                                </header>
                                <div class="side-by-side">
                                    {shown.into_iter().map(|detail| view! { <Column detail/> }).collect_view()}
                                </div>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// One action of the customer: who proposes what, why, and the draft.
#[component]
fn Column(detail: ActionDetail) -> impl IntoView {
    let open = InboxView {
        open: Some(detail.id),
        ..InboxView::default()
    };
    let channel = detail.channel.map_or("Internal", |channel| channel.label());
    view! {
        <article class="together-column" aria-label=detail.draft.subject.clone().unwrap_or_else(|| detail.action_type.label().to_owned())>
            <p class="muted">{format!("{} · {} · {channel}", detail.agent.name, detail.action_type.label())}</p>
            <p>
                <span class="badge">{format!("{} confident", detail.confidence)}</span>" "
                <span class="badge">{format!("{} priority", detail.priority.label())}</span>
            </p>
            <p class="trigger">{detail.trigger.summary.clone()}</p>
            {(!detail.warnings.is_empty()).then(|| view! {
                <ul class="warnings">
                    {detail.warnings.iter().map(|notice| view! { <li>{notice.detail.clone()}</li> }).collect_view()}
                </ul>
            })}
            <DraftView detail=detail.clone()/>
            <button type="button" class="primary" on:click=move |_| go(&open)>"Open to decide"</button>
        </article>
    }
}
