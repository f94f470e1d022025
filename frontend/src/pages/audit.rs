//! The Audit view: a share of what trusted agents sent alone, for a person to check — it looks
//! right, or it is flagged with what was wrong.

use chrono::Utc;
use inbox_domain::{
    display::{customer_line, time_ago},
    dto::{ActionListItem, AuditCheck, AuditState},
};
use leptos::prelude::*;

use crate::{api, components::error_notice::ErrorNotice, context::Session};

#[component]
pub fn AuditPage() -> impl IntoView {
    // Loaded once and after each check here: a note being typed is not lost to a change
    // elsewhere in the location.
    let queue = LocalResource::new(api::audit_queue);
    let checked = move || queue.refetch();
    view! {
        <main class="page">
            <h2>"Audit"</h2>
            <p class="muted">"A share of what trusted agents send on their own is set aside here, so a person keeps checking it. Set the share on the Agents page."</p>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match queue.await {
                        Ok(items) if items.is_empty() => view! { <p class="empty" role="status">"Nothing waits to be checked."</p> }.into_any(),
                        Ok(items) => view! {
                            <ul class="audit-list">
                                {items.into_iter().map(|item| view! { <AuditItem item on_checked=checked/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn AuditItem(item: ActionListItem, on_checked: impl Fn() + Copy + 'static) -> impl IntoView {
    let session = expect_context::<Session>();
    let note = RwSignal::new(String::new());
    let id = item.id;
    let check = Action::new_local(move |verdict: &AuditState| {
        let request = AuditCheck {
            verdict: *verdict,
            note: Some(note.get_untracked()).filter(|n| !n.trim().is_empty()),
        };
        let csrf = session.csrf.clone();
        async move { api::check_audit(id, &request, &csrf).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = check.value().get() {
            on_checked();
        }
    });
    let open = format!("/?status=auto_executed&open={id}");
    view! {
        <li class="agent-card" aria-label=item.subject.clone()>
            <p><a href=open>{item.subject.clone()}</a></p>
            <p class="muted">{format!("{} · {} · {} · proposed {}", item.agent.name, item.action_type.label(), customer_line(&item.customer), time_ago(item.created_at, Utc::now()))}</p>
            <label>"Note"
                <input type="text" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))/>
            </label>
            <button type="button" class="primary" on:click=move |_| { check.dispatch(AuditState::Ok); }>"Looks right"</button>
            " "
            <button type="button" class="danger" on:click=move |_| { check.dispatch(AuditState::Flagged); }>"Flag"</button>
            {move || check.value().get().and_then(Result::err).map(|error| view! { <ErrorNotice error/> })}
        </li>
    }
}
