//! The live metrics bar at the top of the inbox.

use inbox_domain::{
    display::{percent, short_duration},
    metrics::Metrics,
};
use leptos::prelude::*;

#[component]
pub fn MetricsBar(metrics: Metrics) -> impl IntoView {
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

/// Stands in for the bar until the first metrics arrive.
#[component]
pub fn MetricsBarSkeleton() -> impl IntoView {
    view! { <section class="metrics loading" aria-busy="true" aria-label="Metrics">"Loading metrics…"</section> }
}
