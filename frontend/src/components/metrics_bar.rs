//! The live metrics bar at the top of the inbox.

use chrono::Utc;
use inbox_domain::{
    display::{percent, short_duration},
    metrics::Metrics,
    notices::EXPIRING_SOON_HOURS,
};
use leptos::prelude::*;

use crate::{navigation::go, state::InboxView};

#[component]
pub fn MetricsBar(metrics: Metrics) -> impl IntoView {
    let tiles = [
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
            <Tile label="Pending review" value=metrics.pending_review.to_string()/>
            <ExpiringSoon count=metrics.expiring_soon/>
            {tiles.into_iter().map(|(label, value)| view! { <Tile label value/> }).collect_view()}
        </section>
    }
}

#[component]
fn Tile(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="metric" role="group" aria-label=label>
            <span class="metric-value">{value}</span>
            <span class="metric-label">{label}</span>
        </div>
    }
}

/// How many pending actions expire within [`EXPIRING_SOON_HOURS`], as a link to them, soonest
/// first.
#[component]
fn ExpiringSoon(count: u64) -> impl IntoView {
    // The window is counted from the click, however long ago the bar was drawn.
    let open = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        go(&InboxView::expiring_soon(Utc::now()));
    };
    view! {
        <a class="metric metric-link" class:urgent={count > 0}
            title=format!("Pending actions that expire within {EXPIRING_SOON_HOURS} hours, soonest first")
            href=InboxView::expiring_soon(Utc::now()).to_url() on:click=open>
            <span class="metric-value">{count.to_string()}</span>
            <span class="metric-label">"Expiring soon"</span>
        </a>
    }
}

/// Stands in for the bar until the first metrics arrive.
#[component]
pub fn MetricsBarSkeleton() -> impl IntoView {
    view! { <section class="metrics loading" aria-busy="true" aria-label="Metrics">"Loading metrics…"</section> }
}
