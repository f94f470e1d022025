//! The Agents page (where "configure AI agents" leads): each agent's numbers and, for admins, its
//! auto-execute settings.

use inbox_domain::{
    auth::Scope,
    autonomy::AutonomyAdvice,
    display::percent,
    dto::{Agent, UpdateAgent},
    metrics::AgentMetrics,
    safeguards::{ContactCap, LocationSettings},
    ActionType, Confidence,
};
use leptos::prelude::*;

use crate::{
    api,
    components::error_notice::ErrorNotice,
    context::{Live, Session},
};

#[component]
pub fn AgentsPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let session = expect_context::<Session>();
    let is_admin = session.me.scopes.contains(&Scope::AgentsAdmin);
    // Reloaded with the numbers beside them, so that rebuilt cards show the saved settings.
    let agents = LocalResource::new(move || {
        live.changes.track();
        api::agents()
    });
    let settings = LocalResource::new(api::settings);
    let autonomy = LocalResource::new(move || {
        live.changes.track();
        api::autonomy()
    });
    let metrics = LocalResource::new(move || {
        live.changes.track();
        api::metrics()
    });
    view! {
        <main class="page">
            <h2>"Proactive agents"</h2>
            <p class="muted">"Each agent watches your business and proposes actions. Trusted agents may send some action types without review."</p>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the safeguards…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(settings) => view! { <SafeguardsCard settings is_admin/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading agents…"</p> }>
                {move || Suspend::new(async move {
                    let by_agent = metrics.await.map(|m| m.by_agent).unwrap_or_default();
                    let advice = autonomy.await.unwrap_or_default();
                    match agents.await {
                        Ok(agents) => agents.into_iter().map(|agent| {
                            let stats = by_agent.iter().find(|m| m.agent.id == agent.id).cloned();
                            let earned: Vec<AutonomyAdvice> = advice.iter()
                                .filter(|a| a.agent.id == agent.id && !a.auto_executing)
                                .cloned()
                                .collect();
                            view! { <AgentCard agent stats earned is_admin/> }
                        }).collect_view().into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The location's review safeguards, across agents: the contact cap and the confidence floor.
#[component]
fn SafeguardsCard(settings: LocationSettings, is_admin: bool) -> impl IntoView {
    let session = expect_context::<Session>();
    let capped = RwSignal::new(settings.contact_cap.is_some());
    let cap = settings.contact_cap.unwrap_or(ContactCap {
        max_messages: 2,
        window_days: 7,
    });
    let messages = RwSignal::new(cap.max_messages.to_string());
    let days = RwSignal::new(cap.window_days.to_string());
    let audit = RwSignal::new(
        settings
            .audit_share
            .map(|share| share.to_string())
            .unwrap_or_default(),
    );
    let floor = RwSignal::new(
        settings
            .review_confidence_floor
            .map(|floor| floor.percent().to_string())
            .unwrap_or_default(),
    );
    // Non-admins read it masked; only admins see it, so only they send it back.
    let webhook = RwSignal::new(settings.slack_webhook_url.clone().unwrap_or_default());
    let replace = Action::new_local(move |settings: &LocationSettings| {
        let (settings, csrf) = (settings.clone(), session.csrf.clone());
        async move { api::replace_settings(&settings, &csrf).await }
    });
    // A floor that is not a percentage is said so, never taken as none.
    let refused = RwSignal::new(None::<String>);
    let message = move || {
        refused.get().or_else(|| {
            replace.value().get().map(|answer| match answer {
                Ok(_) => "Saved.".to_owned(),
                Err(error) => error.message,
            })
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let number = |text: String| text.trim().parse::<u32>().unwrap_or_default();
        let floor_text = floor.get_untracked();
        let review_confidence_floor = match floor_text.trim() {
            "" => None,
            text => match text.parse::<i64>().ok().map(Confidence::try_from) {
                Some(Ok(floor)) => Some(floor),
                _ => {
                    refused.set(Some(
                        "The confidence floor must be a whole percentage from 0 to 100, or empty for none."
                            .to_owned(),
                    ));
                    return;
                }
            },
        };
        let audit_share = match audit.get_untracked().trim() {
            "" => None,
            text => match text.parse::<u8>().ok().filter(|share| *share <= 100) {
                Some(share) => Some(share),
                None => {
                    refused.set(Some(
                        "The audit share must be a whole percentage from 0 to 100, or empty for none."
                            .to_owned(),
                    ));
                    return;
                }
            },
        };
        refused.set(None);
        replace.dispatch(LocationSettings {
            audit_share,
            contact_cap: capped.get_untracked().then(|| ContactCap {
                max_messages: number(messages.get_untracked()),
                window_days: number(days.get_untracked()),
            }),
            review_confidence_floor,
            slack_webhook_url: Some(webhook.get_untracked().trim().to_owned())
                .filter(|url| !url.is_empty()),
        });
    };
    view! {
        <form class="agent-card" aria-labelledby="safeguards-title" on:submit=save>
            <h3 id="safeguards-title">"Review safeguards"</h3>
            <p class="muted">"For every agent: approving past the cap asks for a confirmation and holds a trusted agent's action for review; low confidence is pointed out before a bulk approval."</p>
            <fieldset disabled=!is_admin>
                <label><input type="checkbox" prop:checked=capped on:change=move |ev| capped.set(event_target_checked(&ev))/>" Cap messages to one customer"</label>
                <label>"At most "
                    <input type="number" min="1" max="100" class="narrow" aria-label="Most messages" prop:value=messages on:input=move |ev| messages.set(event_target_value(&ev))/>
                    " emails and calls in any "
                    <input type="number" min="1" max="90" class="narrow" aria-label="Days" prop:value=days on:input=move |ev| days.set(event_target_value(&ev))/>
                    " days"
                </label>
                <label>"Set aside "
                    <input type="number" min="0" max="100" class="narrow" aria-label="Audit share" placeholder="none" prop:value=audit on:input=move |ev| audit.set(event_target_value(&ev))/>
                    "% of what trusted agents send alone for a person to check (Audit)"
                </label>
                <label>"Point out confidence under "
                    <input type="number" min="0" max="100" class="narrow" aria-label="Confidence floor" placeholder="off" prop:value=floor on:input=move |ev| floor.set(event_target_value(&ev))/>"%"
                </label>
                {is_admin.then(|| view! {
                    <label class="wide">"Team channel webhook (Slack-compatible) "
                        <input type="url" class="wide" placeholder="https://hooks.slack.com/services/…" prop:value=webhook
                            on:input=move |ev| webhook.set(event_target_value(&ev))/>
                    </label>
                    <p class="muted">"New critical actions and actions about to expire are posted there."</p>
                })}
                {is_admin.then(|| view! { <button type="submit" class="primary">"Save"</button> })}
            </fieldset>
            {move || message().map(|m| view! { <p role="status">{m}</p> })}
        </form>
    }
}

#[component]
fn AgentCard(
    agent: Agent,
    stats: Option<AgentMetrics>,
    /// What the last 30 days say of the types it does not send alone yet.
    earned: Vec<AutonomyAdvice>,
    is_admin: bool,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let enabled = RwSignal::new(agent.enabled);
    let auto = RwSignal::new(agent.auto_execute.clone());
    let threshold = RwSignal::new(agent.auto_execute_min_confidence.to_string());
    let id = agent.id;
    let update = Action::new_local(move |changes: &UpdateAgent| {
        let (changes, csrf) = (changes.clone(), session.csrf.clone());
        async move { api::update_agent(id, &changes, &csrf).await }
    });
    // A refused change is not left on screen as if it were saved.
    let saved = agent.clone();
    Effect::new(move |_| {
        if let Some(Err(_)) = update.value().get() {
            enabled.set(saved.enabled);
            auto.set(saved.auto_execute.clone());
            threshold.set(saved.auto_execute_min_confidence.to_string());
        }
    });
    // The last answer stays until the next one arrives.
    let message = move || {
        update.value().get().map(|answer| match answer {
            Ok(_) => "Saved.".to_owned(),
            Err(error) => error.message,
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateAgent {
            enabled: Some(enabled.get_untracked()),
            auto_execute: Some(auto.get_untracked()),
            auto_execute_min_confidence: threshold.get_untracked().parse().ok(),
            default_expiry_seconds: None,
        });
    };
    // "Enable": the type is sent alone from the suggested confidence (or the agent's, if it
    // already asks for more of the types it sends alone).
    let enable = move |action_type: ActionType, confidence: u8| {
        let had_any = auto.with_untracked(|a| !a.is_empty());
        let current: u8 = threshold.get_untracked().parse().unwrap_or(100);
        let confidence = if had_any {
            current.max(confidence)
        } else {
            confidence
        };
        auto.update(|a| {
            if !a.contains(&action_type) {
                a.push(action_type);
            }
        });
        threshold.set(confidence.to_string());
        update.dispatch(UpdateAgent {
            enabled: None,
            auto_execute: Some(auto.get_untracked()),
            auto_execute_min_confidence: Some(i64::from(confidence)),
            default_expiry_seconds: None,
        });
    };
    let earned_view = (!earned.is_empty()).then(|| {
        view! {
            <div class="earned" aria-label="Earned autonomy">
                <p class="muted">"Earned autonomy (last 30 days):"</p>
                <ul>
                    {earned.into_iter().map(|advice| {
                        let action_type = advice.action_type;
                        let suggested = advice.suggested_min_confidence;
                        let enabled_now = move || auto.with(|a| a.contains(&action_type));
                        view! {
                            <li>
                                <strong>{action_type.label()}</strong>": "{advice.why.clone()}
                                {suggested.filter(|_| is_admin).map(|confidence| view! {
                                    " "
                                    <button type="button" class="secondary" disabled=enabled_now
                                        on:click=move |_| enable(action_type, confidence)>
                                        {format!("Enable from {confidence}%")}
                                    </button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }
    });
    let title_id = format!("agent-{}", agent.id);
    view! {
        <form class="agent-card" aria-labelledby=title_id.clone() on:submit=save>
            <h3 id=title_id.clone()>{agent.name.clone()}</h3>
            <p class="muted">{agent.description.clone()}</p>
            {stats.map(|s| view! {
                <p class="agent-stats">
                    {format!("{} pending · {} approval rate (7 days)", s.pending_review, s.approval_rate.map_or_else(|| "—".to_owned(), percent))}
                    {(!s.top_rejection_reasons.is_empty()).then(|| format!(" · rejected for: {}", s.top_rejection_reasons.iter().map(|r| format!("{} ({})", r.reason.label(), r.count)).collect::<Vec<_>>().join(", ")))}
                </p>
            })}
            {agent.autonomy_paused.iter().map(|pause| view! {
                <p class="warning" role="status">
                    {format!("Auto-execute of {} paused {}: {}", pause.action_type.label(), pause.paused_at.format("%b %-d"), pause.why)}
                </p>
            }).collect_view()}
            {earned_view}
            <fieldset disabled=!is_admin>
                <label><input type="checkbox" prop:checked=enabled on:change=move |ev| enabled.set(event_target_checked(&ev))/>" Enabled"</label>
                <p>"Auto-execute:"</p>
                {ActionType::ALL.iter().map(|t| {
                    let t = *t;
                    view! {
                        <label class="inline">
                            <input type="checkbox" prop:checked=move || auto.with(|a| a.contains(&t))
                                on:change=move |ev| auto.update(|a| if event_target_checked(&ev) { if !a.contains(&t) { a.push(t) } } else { a.retain(|x| *x != t) })/>
                            {format!(" {}", t.label())}
                        </label>
                    }
                }).collect_view()}
                <label>"When confidence is at least "
                    <input type="number" min="0" max="100" class="narrow" prop:value=threshold on:input=move |ev| threshold.set(event_target_value(&ev))/>"%"
                </label>
                {is_admin.then(|| view! { <button type="submit" class="primary">"Save"</button> })}
            </fieldset>
            {move || message().map(|m| view! { <p role="status">{m}</p> })}
        </form>
    }
}
