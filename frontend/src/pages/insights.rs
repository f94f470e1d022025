//! Insights: how each agent performs, in charts, over 7, 30 or 90 days, for one agent or type
//! or all of them.

use inbox_domain::{
    display::{percent, short_duration},
    insights::{DayInsight, Insights, PERIODS},
    ActionType,
};
use leptos::prelude::*;

use crate::{
    api,
    components::{
        charts::{HorizontalBars, LineChart, Series, Sparkline, StackedBars},
        error_notice::ErrorNotice,
    },
};

/// `period=30&agent_id=…&action_type=…`.
fn query(period: u32, agent: &str, action_type: &str) -> String {
    let mut query = format!("period={period}");
    if !agent.is_empty() {
        query.push_str(&format!("&agent_id={agent}"));
    }
    if !action_type.is_empty() {
        query.push_str(&format!("&action_type={action_type}"));
    }
    query
}

/// "Nov 28".
fn day_label(day: &DayInsight) -> String {
    day.date.format("%b %-d").to_string()
}

/// The day-by-day decisions, bottom to top of each stack.
fn decision_series(days: &[DayInsight]) -> Vec<Series> {
    let series = |name, class, value: fn(&DayInsight) -> u64| Series {
        name,
        class,
        values: days.iter().map(value).collect(),
    };
    vec![
        series("approved as proposed", "fill-approved", |d| {
            d.counts.approved_as_is
        }),
        series("approved after edits", "fill-edited", |d| {
            d.counts.approved_edited
        }),
        series("auto-executed", "fill-auto", |d| d.counts.auto_executed),
        series("rejected", "fill-rejected", |d| d.counts.rejected),
        series("snoozed", "fill-snoozed", |d| d.counts.snoozed),
        series("expired", "fill-expired", |d| d.counts.expired),
    ]
}

#[component]
pub fn InsightsPage() -> impl IntoView {
    let period = RwSignal::new(30u32);
    let agent = RwSignal::new(String::new());
    let action_type = RwSignal::new(String::new());
    let agents = LocalResource::new(api::agents);
    // History, not the live queue: read when the filters change, not with every decision.
    let insights = LocalResource::new(move || {
        let asked = query(period.get(), &agent.get(), &action_type.get());
        async move { api::insights(&asked).await }
    });
    view! {
        <main class="page insights">
            <header class="together-header">
                <h2>"Insights"</h2>
                <span class="muted">"Export every decision: "
                    <a href="/api/v1/decisions/export?format=csv" download="decisions.csv">"CSV"</a>" · "
                    <a href="/api/v1/decisions/export?format=ndjson" download="decisions.ndjson">"NDJSON"</a>
                </span>
            </header>
            <form class="filters" role="search" aria-label="Insights filters" on:submit=|event| event.prevent_default()>
                <label>"Period"
                    <select prop:value=move || period.get().to_string()
                        on:change=move |ev| if let Ok(days) = event_target_value(&ev).parse() { period.set(days) }>
                        {PERIODS.iter().map(|days| view! { <option value=days.to_string()>{format!("Last {days} days")}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Agent"
                    <select prop:value=move || agent.get() on:change=move |ev| agent.set(event_target_value(&ev))>
                        <option value="">"All agents"</option>
                        {move || agents.get().and_then(Result::ok).unwrap_or_default().into_iter()
                            .map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Type"
                    <select prop:value=move || action_type.get() on:change=move |ev| action_type.set(event_target_value(&ev))>
                        <option value="">"All types"</option>
                        {ActionType::ALL.iter().map(|t| view! { <option value=t.as_str()>{t.label()}</option> }).collect_view()}
                    </select>
                </label>
            </form>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading insights…"</p> }>
                {move || Suspend::new(async move {
                    match insights.await {
                        Ok(insights) => view! { <Charts insights/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Charts(insights: Insights) -> impl IntoView {
    let labels: Vec<String> = insights.days.iter().map(day_label).collect();
    let totals = insights.totals.clone();
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    let tiles = [
        ("Proposed", totals.counts.proposed.to_string()),
        ("Approval rate", or_dash(totals.approval_rate.map(percent))),
        (
            "Avg. review time",
            or_dash(totals.average_review_seconds.map(short_duration)),
        ),
        (
            "90% reviewed within",
            or_dash(totals.p90_review_seconds.map(|s| short_duration(s as f64))),
        ),
        (
            "Good outcomes per message",
            or_dash(insights.positive_outcome_share.map(percent)),
        ),
    ];
    let reasons: Vec<(String, u64)> = insights
        .rejection_reasons
        .iter()
        .map(|r| (r.reason.label().to_owned(), r.count))
        .collect();
    let edits: Vec<(String, u64)> = insights
        .edit_intensity
        .iter()
        .map(|e| (e.intensity.label().to_owned(), e.count))
        .collect();
    let outcomes: Vec<(String, u64)> = insights
        .outcomes
        .iter()
        .map(|o| (o.kind.label().to_owned(), o.count))
        .collect();
    let days = insights.days.clone();
    view! {
        <section class="metrics" aria-label="Period totals">
            {tiles.into_iter().map(|(name, value)| view! {
                <div class="metric" role="group" aria-label=name>
                    <span class="metric-value">{value}</span>
                    <span class="metric-label">{name}</span>
                </div>
            }).collect_view()}
        </section>
        <section class="insight" aria-labelledby="volume-title">
            <h3 id="volume-title">"Decisions per day"</h3>
            <StackedBars label=format!("Decisions per day over {} days", insights.period_days)
                labels=labels.clone() series=decision_series(&days)/>
            <details>
                <summary>"The numbers"</summary>
                <table class="data">
                    <thead><tr>
                        <th scope="col">"Day"</th><th scope="col">"Proposed"</th><th scope="col">"Approved as proposed"</th>
                        <th scope="col">"Approved after edits"</th><th scope="col">"Rejected"</th><th scope="col">"Snoozed"</th>
                        <th scope="col">"Expired"</th><th scope="col">"Auto-executed"</th><th scope="col">"Undone"</th>
                    </tr></thead>
                    <tbody>
                        {days.iter().map(|d| view! {
                            <tr>
                                <th scope="row">{d.date.to_string()}</th><td>{d.counts.proposed}</td><td>{d.counts.approved_as_is}</td>
                                <td>{d.counts.approved_edited}</td><td>{d.counts.rejected}</td><td>{d.counts.snoozed}</td>
                                <td>{d.counts.expired}</td><td>{d.counts.auto_executed}</td><td>{d.counts.undone}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
        <div class="insight-pair">
            <section class="insight" aria-labelledby="rate-title">
                <h3 id="rate-title">"Approval rate"</h3>
                <LineChart label="Approval rate per day".to_owned() labels=labels.clone()
                    values=days.iter().map(|d| d.approval_rate).collect() max=Some(1.0) format=percent/>
            </section>
            <section class="insight" aria-labelledby="review-title">
                <h3 id="review-title">"Average review time"</h3>
                <LineChart label="Average review time per day".to_owned() labels=labels.clone()
                    values=days.iter().map(|d| d.average_review_seconds).collect() max=None format=short_duration/>
            </section>
        </div>
        <div class="insight-pair">
            <section class="insight" aria-labelledby="reasons-title">
                <h3 id="reasons-title">"Why actions were rejected"</h3>
                {if reasons.is_empty() {
                    view! { <p class="muted">"Nothing was rejected in this period."</p> }.into_any()
                } else {
                    view! { <HorizontalBars label="Rejections by reason".to_owned() items=reasons class="fill-rejected"/> }.into_any()
                }}
            </section>
            <section class="insight" aria-labelledby="edits-title">
                <h3 id="edits-title">"How much approvals were edited"</h3>
                <HorizontalBars label="Approvals by how much they were edited".to_owned() items=edits class="fill-edited"/>
            </section>
        </div>
        <section class="insight" aria-labelledby="outcomes-title">
            <h3 id="outcomes-title">"What followed sending"</h3>
            {if outcomes.is_empty() {
                view! { <p class="muted">"No outcomes were reported in this period."</p> }.into_any()
            } else {
                view! { <HorizontalBars label="Outcomes reported".to_owned() items=outcomes class="fill-approved"/> }.into_any()
            }}
        </section>
        <section class="insight" aria-labelledby="agents-title">
            <h3 id="agents-title">"By agent"</h3>
            <table class="data">
                <thead><tr>
                    <th scope="col">"Agent"</th><th scope="col">"Proposed"</th><th scope="col">"Approval rate"</th>
                    <th scope="col">"Avg. review time"</th><th scope="col">"Proposals per day"</th>
                </tr></thead>
                <tbody>
                    {insights.by_agent.into_iter().map(|a| view! {
                        <tr>
                            <th scope="row">{a.agent.name.clone()}</th>
                            <td>{a.totals.counts.proposed}</td>
                            <td>{a.totals.approval_rate.map_or_else(|| "—".to_owned(), percent)}</td>
                            <td>{a.totals.average_review_seconds.map_or_else(|| "—".to_owned(), short_duration)}</td>
                            <td><Sparkline label=format!("{}: proposals per day", a.agent.name) values=a.proposed_per_day/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
