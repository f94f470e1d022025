//! The inbox screen: the metrics bar and the pending list.

use chrono::Utc;
use inbox_domain::{
    auth::Me,
    display::{customer_line, percent, short_duration, time_ago, time_remaining, truncate},
    dto::{ActionListItem, Page},
    metrics::Metrics,
    ActionStatus, Priority,
};
use leptos::prelude::*;

use crate::api::{self, ApiError};

/// How many characters of a subject fit in its column.
const SUBJECT_WIDTH: usize = 40;

#[component]
pub fn App() -> impl IntoView {
    let me = LocalResource::new(api::me);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me_now) => view! { <Inbox me=me_now on_signed_out=move || me.refetch()/> }.into_any(),
                    Err(error) if error.needs_sign_in() => {
                        view! { <SignInPage on_signed_in=move || me.refetch()/> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The sign-in form, shown until a reviewer signs in.
#[component]
fn SignInPage(on_signed_in: impl Fn() + Clone + 'static) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        busy.set(true);
        error.set(None);
        let on_signed_in = on_signed_in.clone();
        leptos::task::spawn_local(async move {
            match api::sign_in(email.get_untracked(), password.get_untracked()).await {
                Ok(_) => on_signed_in(),
                Err(failure) => {
                    error.set(Some(failure.message));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <main class="sign-in">
            <form class="sign-in-card" on:submit=submit aria-labelledby="sign-in-title">
                <h1 id="sign-in-title">"AI Inbox"</h1>
                <p class="muted">"Sign in to review what your AI agents propose."</p>
                <label for="email">"Email"</label>
                <input id="email" type="email" autocomplete="username" required
                    prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="password">"Password"</label>
                <input id="password" type="password" autocomplete="current-password" required
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>"Sign in"</button>
            </form>
        </main>
    }
}

/// The inbox of a signed-in reviewer.
#[component]
fn Inbox(me: Me, on_signed_out: impl Fn() + Clone + 'static) -> impl IntoView {
    let metrics = LocalResource::new(api::metrics);
    let pending = LocalResource::new(|| api::actions(ActionStatus::Pending));
    let who = me
        .user
        .as_ref()
        .map_or_else(|| "API key".to_owned(), |user| user.name.clone());
    let csrf = me.csrf_token.clone().unwrap_or_default();
    let sign_out = move |_| {
        let (csrf, on_signed_out) = (csrf.clone(), on_signed_out.clone());
        leptos::task::spawn_local(async move {
            // Signed out or not, reload who we are: a failure shows on the next screen.
            let _ = api::sign_out(csrf).await;
            on_signed_out();
        });
    };
    view! {
        <header class="topbar">
            <h1>"AI Inbox"</h1>
            <nav class="crumbs" aria-label="Breadcrumb">"Operations → AI Assistant → AI Inbox"</nav>
            <span class="spacer"></span>
            <span class="who">{format!("{who} · {}", me.location.name)}</span>
            <button type="button" class="link" on:click=sign_out>"Sign out"</button>
        </header>
        <main>
            <Suspense fallback=|| view! { <MetricsBarSkeleton/> }>
                {move || Suspend::new(async move {
                    match metrics.await {
                        Ok(metrics) => view! { <MetricsBar metrics/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
            <section class="list" aria-label="Pending actions">
                <h2 class="segment">"Pending"</h2>
                <Suspense fallback=|| view! { <p class="loading" role="status">"Loading actions…"</p> }>
                    {move || Suspend::new(async move {
                        match pending.await {
                            Ok(page) => view! { <ActionTable page/> }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn MetricsBar(metrics: Metrics) -> impl IntoView {
    let tiles = [
        ("Pending review", metrics.pending_review.to_string()),
        ("Approved today", metrics.approved_today.to_string()),
        ("Rejected today", metrics.rejected_today.to_string()),
        (
            "Avg. review time",
            metrics
                .avg_review_time_seconds
                .map_or_else(|| "—".to_owned(), short_duration),
        ),
        (
            "Approval rate",
            metrics
                .approval_rate
                .map_or_else(|| "—".to_owned(), percent),
        ),
    ];
    view! {
        <section class="metrics" aria-label="Metrics">
            {tiles
                .into_iter()
                .map(|(label, value)| {
                    view! {
                        <div class="metric" role="group" aria-label=label>
                            <span class="metric-value">{value}</span>
                            <span class="metric-label">{label}</span>
                        </div>
                    }
                })
                .collect_view()}
        </section>
    }
}

#[component]
fn MetricsBarSkeleton() -> impl IntoView {
    view! { <section class="metrics loading" aria-busy="true" aria-label="Metrics">"Loading metrics…"</section> }
}

#[component]
fn ErrorNotice(error: ApiError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.message}</p> }
}

const COLUMNS: [&str; 10] = [
    "Subject",
    "Customer",
    "Criteria type",
    "Action type",
    "Channel",
    "Confidence",
    "Priority",
    "Status",
    "Created",
    "Expires",
];

#[component]
fn ActionTable(page: Page<ActionListItem>) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <div class="empty" role="status">
                <h3>"No pending actions"</h3>
                <p>"All caught up! No actions need review right now."</p>
                <p>"Configure your AI agents to generate more activity."</p>
            </div>
        }
        .into_any();
    }
    let now = Utc::now();
    let total = page.total;
    view! {
        <table class="actions">
            <thead>
                <tr>{COLUMNS.map(|name| view! { <th scope="col">{name}</th> }).collect_view()}</tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|item| view! { <ActionRow item now/> }).collect_view()}
            </tbody>
        </table>
        <p class="count">{format!("{total} pending")}</p>
    }
    .into_any()
}

fn priority_class(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "badge priority-low",
        Priority::Medium => "badge priority-medium",
        Priority::High => "badge priority-high",
        Priority::Critical => "badge priority-critical",
    }
}

#[component]
fn ActionRow(item: ActionListItem, now: chrono::DateTime<Utc>) -> impl IntoView {
    let subject = truncate(&item.subject, SUBJECT_WIDTH);
    view! {
        <tr class="action-row" data-id=item.id.to_string()>
            <td class="subject" title=item.subject.clone()>{subject}</td>
            <td class="customer">{customer_line(&item.customer)}</td>
            <td class="agent">{item.agent.name.clone()}</td>
            <td>{item.action_type.label()}</td>
            <td>{item.channel.map_or("—", |channel| channel.label())}</td>
            <td class="numeric">{item.confidence.to_string()}</td>
            <td><span class=priority_class(item.priority)>{item.priority.label()}</span></td>
            <td><span class=format!("badge status-{}", item.status)>{item.status.label()}</span></td>
            <td title=item.created_at.to_rfc3339()>{time_ago(item.created_at, now)}</td>
            <td title=item.expires_at.to_rfc3339()>{time_remaining(item.expires_at, now)}</td>
        </tr>
    }
}
