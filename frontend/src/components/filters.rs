//! The filter bar: criteria type, customer, confidence range, priority, channel, delivery state
//! and dates. Each change is a new view in the URL.

use inbox_domain::{delivery::DeliveryState, dto::Agent, Channel, Priority};
use leptos::prelude::*;

use crate::{
    api::ApiError,
    navigation::go,
    state::{bound_day, bound_time, delivery_filter_applies, InboxView},
};

/// How long the typing in the customer search must pause before the list follows it.
const SEARCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

/// Filters for criteria type, customer, confidence, priority, channel, delivery state and dates.
#[component]
pub fn Filters(
    view: Memo<InboxView>,
    agents: LocalResource<Result<Vec<Agent>, ApiError>>,
) -> impl IntoView {
    let change = move |edit: Box<dyn Fn(&mut InboxView)>| {
        let mut next = view.get_untracked();
        edit(&mut next);
        next.open = None;
        // A field that lost its focus unchanged is not a new view (nor a history entry).
        if next != view.get_untracked() {
            go(&next);
        }
    };
    let text = |value: String| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    // The customer search follows the typing, once it pauses (Enter applies it at once).
    let navigate = leptos_router::hooks::use_navigate();
    let typing_pause = StoredValue::new(None::<TimeoutHandle>);
    let search_as_typed = move |typed: String| {
        if let Some(pending) = typing_pause.get_value() {
            pending.clear();
        }
        let navigate = navigate.clone();
        let paused = set_timeout_with_handle(
            move || {
                let mut next = view.get_untracked();
                next.q = text(typed.clone());
                next.open = None;
                if next != view.get_untracked() {
                    navigate(&next.to_url(), Default::default());
                }
            },
            SEARCH_PAUSE,
        );
        typing_pause.set_value(paused.ok());
    };
    // Only approved and auto-executed actions have a delivery; elsewhere the filter would match
    // nothing, so it is offered on those segments alone.
    let delivery_filter_shown = Memo::new(move |_| delivery_filter_applies(view.get().segment()));
    view! {
        <form class="filters" role="search" aria-label="Filters" on:submit=|event| event.prevent_default()>
            <label>
                "Criteria type"
                <select
                    prop:value=move || view.get().agent_id.unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.agent_id = text(v.clone()))) }
                >
                    <option value="">"All agents"</option>
                    {move || agents.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|agent| {
                        view! { <option value=agent.id.to_string()>{agent.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Customer"
                <input
                    type="search"
                    placeholder="Name or company"
                    prop:value=move || view.get().q.unwrap_or_default()
                    on:input=move |ev| search_as_typed(event_target_value(&ev))
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.q = text(v.clone()))) }
                />
            </label>
            <label>
                "Confidence from"
                <input
                    type="number" min="0" max="100" class="narrow"
                    prop:value=move || view.get().confidence_min.map(|v| v.to_string()).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.confidence_min = v.parse().ok().filter(|v| *v <= 100))) }
                />
            </label>
            <label>
                "to"
                <input
                    type="number" min="0" max="100" class="narrow"
                    prop:value=move || view.get().confidence_max.map(|v| v.to_string()).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.confidence_max = v.parse().ok().filter(|v| *v <= 100))) }
                />
            </label>
            <label>
                "Priority"
                <select
                    prop:value=move || view.get().priority.map(|p| p.as_str().to_owned()).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.priority = v.parse().ok())) }
                >
                    <option value="">"Any"</option>
                    {Priority::ALL.iter().rev().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Channel"
                <select
                    prop:value=move || view.get().channel.map(|c| c.as_str().to_owned()).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.channel = v.parse().ok())) }
                >
                    <option value="">"Any"</option>
                    {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.label()}</option> }).collect_view()}
                </select>
            </label>
            {move || delivery_filter_shown.get().then(|| view! {
                <label>
                    "Delivery"
                    <select
                        prop:value=move || view.get().delivery_state.map(|d| d.as_str().to_owned()).unwrap_or_default()
                        on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.delivery_state = v.parse().ok())) }
                    >
                        <option value="">"Any"</option>
                        // A cancelled delivery belongs to an undone approval, back in Pending.
                        {DeliveryState::ALL.iter().filter(|d| **d != DeliveryState::Cancelled).map(|d| view! { <option value=d.as_str()>{d.label()}</option> }).collect_view()}
                    </select>
                </label>
            })}
            <label>
                "Created from"
                <input type="date"
                    prop:value=move || bound_day(view.get().created_from.as_deref())
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.created_from = text(v.clone()))) }/>
                {move || bound_time(view.get().created_from.as_deref()).map(|time| view! { <span class="bound-time">{time}</span> })}
            </label>
            <label>
                "to"
                <input type="date"
                    prop:value=move || bound_day(view.get().created_to.as_deref())
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.created_to = text(v.clone()))) }/>
                {move || bound_time(view.get().created_to.as_deref()).map(|time| view! { <span class="bound-time">{time}</span> })}
            </label>
            <label>
                "Expires from"
                <input type="date"
                    prop:value=move || bound_day(view.get().expires_from.as_deref())
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.expires_from = text(v.clone()))) }/>
                {move || bound_time(view.get().expires_from.as_deref()).map(|time| view! { <span class="bound-time">{time}</span> })}
            </label>
            <label>
                "to"
                <input type="date"
                    prop:value=move || bound_day(view.get().expires_to.as_deref())
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.expires_to = text(v.clone()))) }/>
                {move || bound_time(view.get().expires_to.as_deref()).map(|time| view! { <span class="bound-time">{time}</span> })}
            </label>
            {move || view.get().is_filtered().then(|| view! {
                <button type="button" class="link" on:click=move |_| go(&view.get_untracked().without_filters())>"Clear filters"</button>
            })}
        </form>
    }
}
