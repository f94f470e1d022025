//! The inbox screen: the metrics bar and the pending list.

use chrono::Utc;
use inbox_domain::{
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
    let metrics = LocalResource::new(api::metrics);
    let pending = LocalResource::new(|| api::actions(ActionStatus::Pending));
    view! {
        <header class="topbar">
            <h1>"AI Inbox"</h1>
            <nav class="crumbs" aria-label="Breadcrumb">"Operations → AI Assistant → AI Inbox"</nav>
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
