//! The left side of the detail panel: the customer, why the action was proposed, the confidence
//! factors and the customer's history.

use chrono::Utc;
use inbox_domain::{
    display::time_ago,
    dto::{ActionDetail, HistoryKind},
};
use leptos::prelude::*;

/// Who the action is for, why it was proposed, how confident the agent is and what came before.
#[component]
pub fn ActionContext(detail: ActionDetail) -> impl IntoView {
    let customer = detail.customer.clone();
    let factors = detail.confidence_factors.clone();
    let data: Vec<(String, String)> = detail
        .trigger
        .data
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    (
                        k.replace('_', " "),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let now = Utc::now();
    let kinds = [
        (HistoryKind::Activity, "Recent activity"),
        (HistoryKind::Communication, "Communications"),
        (HistoryKind::Payment, "Payments"),
        (HistoryKind::Ticket, "Support tickets"),
    ];
    view! {
        <div class="customer-card">
            {customer.photo_url.clone().map(|src| view! { <img class="avatar" src=src alt=format!("Photo of {}", customer.full_name)/> })}
            <div>
                <h3>{customer.full_name.clone()}</h3>
                <p class="muted">
                    {[customer.company.clone(), Some(customer.customer_type.label().to_owned()), customer.plan.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" • ")}
                </p>
                <a href=format!("/customers/{}", customer.id)>"View full profile"</a>
            </div>
        </div>
        <h3>"Why this was proposed"</h3>
        <p><strong>{detail.agent.name.clone()}</strong></p>
        <p class="trigger">{detail.trigger.summary.clone()}</p>
        <dl class="facts">
            {data.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
        </dl>
        <h3>"Confidence score"</h3>
        <p class="confidence"><strong>{detail.confidence.to_string()}</strong></p>
        <ul class="factors">
            {factors.into_iter().map(|f| view! {
                <li>{f.label}<span class="impact">{format!("{:+}", f.impact)}</span></li>
            }).collect_view()}
        </ul>
        <h3>"Customer history"</h3>
        {kinds.into_iter().map(|(kind, title)| {
            let entries: Vec<_> = detail.customer_history.iter().filter(|e| e.kind == kind).cloned().collect();
            (!entries.is_empty()).then(|| view! {
                <h4>{title}</h4>
                <ul class="history">
                    {entries.into_iter().map(|e| view! { <li>{e.summary}<span class="muted">{format!(" · {}", time_ago(e.occurred_at, now))}</span></li> }).collect_view()}
                </ul>
            })
        }).collect_view()}
        <h4>"Previous proactive actions"</h4>
        {if detail.earlier_actions.is_empty() {
            view! { <p class="muted">"None before this one."</p> }.into_any()
        } else {
            view! {
                <ul class="history">
                    {detail.earlier_actions.iter().map(|a| view! {
                        <li>{a.subject.clone()}<span class="muted">{format!(" · {} · {}", a.status.label(), time_ago(a.created_at, now))}</span></li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
