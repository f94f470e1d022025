//! The draft as it stands (email, call, note or task) and, once decided, what happened to it.

use chrono::Utc;
use inbox_domain::{
    delivery::DeliveryState,
    display::time_ago,
    dto::{ActionDetail, ActionEvent},
    ActionStatus, Channel, EventKind,
};
use leptos::prelude::*;

use crate::components::delivery::{entry_facts, Facts};

/// The draft as it stands, for email, voice, notes and tasks.
#[component]
pub fn DraftView(detail: ActionDetail) -> impl IntoView {
    let draft = detail.draft.clone();
    let variables: Vec<(String, String)> = draft.variables.clone().into_iter().collect();
    let fields = match detail.channel {
        Some(Channel::Voice) => view! {
            <dl class="fields">
                <dt>"To"</dt><dd>{draft.to.clone().unwrap_or_default()}</dd>
                <dt>"Script"</dt><dd class="script">{draft.script.clone().unwrap_or_default()}</dd>
                <dt>"Tone"</dt><dd>{draft.tone.map_or("—", |t| t.label())}</dd>
                <dt>"Duration"</dt><dd>{draft.estimated_duration_seconds.map_or_else(|| "—".to_owned(), |s| format!("about {} min {} s", s / 60, s % 60))}</dd>
            </dl>
        }
        .into_any(),
        _ => view! {
            <dl class="fields">
                {draft.to.clone().map(|to| view! { <dt>"To"</dt><dd>{to}</dd> })}
                {draft.from.clone().map(|from| view! { <dt>"From"</dt><dd>{from}</dd> })}
                <dt>"Subject"</dt><dd>{draft.subject.clone().unwrap_or_default()}</dd>
                <dt>"Body"</dt><dd class="body" inner_html=draft.body.clone().unwrap_or_default()></dd>
                {draft.signature.clone().map(|s| view! { <dt>"Signature"</dt><dd class="signature">{s}</dd> })}
            </dl>
        }
        .into_any(),
    };
    view! {
        {fields}
        {(!variables.is_empty()).then(|| view! {
            <h3>"Variables"</h3>
            <dl class="variables">
                {variables.into_iter().map(|(k, v)| view! { <dt>{format!("{{{{{k}}}}}")}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
        })}
    }
}

/// What an entry of the history says happened, and where a decision made from a notice email's
/// one-click link came from ("Approved from email").
pub fn event_label(event: &ActionEvent) -> String {
    let from_email = event.data.get("via").and_then(|via| via.as_str()) == Some("email");
    if from_email {
        format!("{} from email", event.kind.label())
    } else {
        event.kind.label().to_owned()
    }
}

/// What was sent or why it was rejected, when, what followed, and every event of the action with
/// what it records of the delivery (where the message went, why an attempt failed).
#[component]
pub fn History(detail: ActionDetail) -> impl IntoView {
    let decisions = detail.decisions.clone();
    let now = Utc::now();
    let summary = match detail.status {
        status if status.is_sent() => {
            let decided_at = decisions.approved_at.or(decisions.auto_executed_at);
            // Without a delivery (actions decided before deliveries were kept) the decision is
            // all there is to go by.
            match detail.delivery.as_ref() {
                Some(delivery) if delivery.state != DeliveryState::Sent => {
                    let decision = if status == ActionStatus::AutoExecuted {
                        EventKind::AutoExecuted
                    } else {
                        EventKind::Approved
                    };
                    decided_at.map(|at| {
                        format!("{} {}; not sent yet.", decision.label(), time_ago(at, now))
                    })
                }
                delivery => delivery
                    .and_then(|delivery| delivery.sent_at)
                    .or(decided_at)
                    .map(|at| format!("Sent {}.", time_ago(at, now))),
            }
        }
        ActionStatus::Rejected => Some(format!(
            "Rejected {}: {}{}",
            decisions
                .rejected_at
                .map(|at| time_ago(at, now))
                .unwrap_or_default(),
            decisions
                .rejection_reason
                .map_or("no reason", |r| r.label()),
            decisions
                .rejection_note
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        )),
        // An approved call held for opening hours: the delivery above says when it leaves.
        ActionStatus::Deferred if detail.delivery.is_some() => decisions.approved_at.map(|at| {
            format!(
                "{} {}; not sent yet.",
                EventKind::ApprovedForLater.label(),
                time_ago(at, now)
            )
        }),
        ActionStatus::Expired => Some("Expired before anyone decided.".to_owned()),
        _ => None,
    };
    view! {
        <h3>"Action history"</h3>
        {summary.map(|s| view! { <p class="decision">{s}</p> })}
        {detail.outcomes.iter().map(|o| view! {
            <p class="outcome">{format!("Outcome: {} ({})", serde_json::to_value(o.kind).ok().and_then(|v| v.as_str().map(|s| s.replace('_', " "))).unwrap_or_default(), time_ago(o.occurred_at, now))}</p>
        }).collect_view()}
        {detail.responses.iter().map(|r| view! {
            <blockquote class="response">{format!("“{}” — {}", r.excerpt, time_ago(r.received_at, now))}</blockquote>
        }).collect_view()}
        <ol class="events">
            {detail.history.iter().map(|e| {
                let facts = e.delivery_entry().map(|entry| entry_facts(&entry)).unwrap_or_default();
                view! {
                    <li>
                        {format!("{} · {} · {}", event_label(e), e.actor_name.as_deref().unwrap_or(&e.actor), time_ago(e.occurred_at, now))}
                        <Facts facts/>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, data: serde_json::Value) -> ActionEvent {
        serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "kind": kind, "from_status": "pending",
            "to_status": "approved", "actor": "user:1", "occurred_at": "2026-12-04T09:00:00Z",
            "version": 2, "data": data
        }))
        .expect("an event")
    }

    #[test]
    fn a_decision_from_an_email_link_says_so() {
        let approved = event("approved", serde_json::json!({"via": "email"}));
        assert_eq!(event_label(&approved), "Approved from email");
        let rejected = event("rejected", serde_json::json!({"reason": "wrong_tone"}));
        assert_eq!(event_label(&rejected), EventKind::Rejected.label());
    }
}
