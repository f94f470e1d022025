//! The Sent page: every message the app sent (or is about to send), newest first, as a mail
//! catcher shows them. The bodies are shown isolated: HTML in a sandboxed frame, text as text.

use chrono::Utc;
use inbox_domain::{
    delivery::{Delivery, DeliveryChannel},
    display::time_ago,
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{api, components::error_notice::ErrorNotice, context::Live};

/// How many deliveries the page lists.
const PAGE_SIZE: u32 = 100;

/// The line that names a delivery: its subject, or the first line of a call's script.
fn title_of(delivery: &Delivery) -> String {
    let title = delivery
        .subject
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            delivery
                .script
                .as_deref()
                .and_then(|script| script.lines().find(|line| !line.trim().is_empty()))
                .map(|line| line.trim().to_owned())
        });
    title.unwrap_or_else(|| "(no subject)".to_owned())
}

#[component]
pub fn SentPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let open = RwSignal::new(None::<Uuid>);
    let deliveries = LocalResource::new(move || {
        live.changes.track();
        api::deliveries(None, None, PAGE_SIZE)
    });
    view! {
        <main class="page">
            <h2>"Sent"</h2>
            <p class="muted">"Every message approved here, exactly as it went (or goes) out."</p>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the sent messages…"</p> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Ok(page) if page.items.is_empty() => {
                            view! { <p class="empty">"Nothing has been sent yet."</p> }.into_any()
                        }
                        Ok(page) => view! { <SentList items=page.items open/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn SentList(items: Vec<Delivery>, open: RwSignal<Option<Uuid>>) -> impl IntoView {
    let now = Utc::now();
    let items = StoredValue::new(items);
    let rows = items.with_value(|items| {
        items
            .iter()
            .map(|delivery| {
                let id = delivery.id;
                let when = time_ago(delivery.sent_at.unwrap_or(delivery.deliver_at), now);
                view! {
                    <li>
                        <button type="button" class="sent-row" data-id=id.to_string()
                            aria-pressed=move || (open.get() == Some(id)).to_string()
                            on:click=move |_| open.update(|o| *o = if *o == Some(id) { None } else { Some(id) })>
                            <strong>{title_of(delivery)}</strong>
                            <span class="muted">{when}</span>
                            <span>{format!("To {}", delivery.recipient.clone().unwrap_or_else(|| "—".to_owned()))}</span>
                            <span class="muted">{format!("{} · {}", delivery.channel.label(), delivery.state.label())}</span>
                        </button>
                    </li>
                }
            })
            .collect_view()
    });
    view! {
        <ul class="sent-list" aria-label="Sent messages">{rows}</ul>
        {move || open.get().and_then(|id| items.with_value(|items| items.iter().find(|d| d.id == id).cloned()))
            .map(|delivery| view! { <SentMessage delivery/> })}
    }
}

/// One message in full; its HTML stays in a sandboxed frame, away from the app's page.
#[component]
fn SentMessage(delivery: Delivery) -> impl IntoView {
    let body = match (&delivery.body_html, &delivery.body_text, &delivery.script) {
        (Some(html), _, _) => {
            view! { <iframe title="Message body" sandbox="" srcdoc=html.clone()></iframe> }
                .into_any()
        }
        (None, Some(text), _) | (None, None, Some(text)) => {
            view! { <pre>{text.clone()}</pre> }.into_any()
        }
        (None, None, None) => view! { <p class="muted">"No body."</p> }.into_any(),
    };
    let fields = [
        ("From", delivery.sender.clone()),
        ("To", delivery.recipient.clone()),
        ("Subject", delivery.subject.clone()),
        ("State", Some(delivery.state.label().to_owned())),
        ("Last error", delivery.last_error.clone()),
    ];
    view! {
        <section class="sent-message" aria-label="Sent message">
            <h3>{title_of(&delivery)}</h3>
            <dl class="fields">
                {fields.into_iter().filter_map(|(name, value)| value.map(|value| view! { <dt>{name}</dt><dd>{value}</dd> })).collect_view()}
            </dl>
            {(delivery.channel == DeliveryChannel::Voice).then(|| view! { <p class="muted">"A call script, read by the voice provider."</p> })}
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_domain::delivery::DeliveryState;

    fn delivery(subject: Option<&str>, script: Option<&str>) -> Delivery {
        Delivery {
            id: Uuid::nil(),
            action_id: Uuid::nil(),
            channel: DeliveryChannel::Voice,
            state: DeliveryState::Sent,
            deliver_at: Utc::now(),
            attempts: 1,
            last_error: None,
            recipient: None,
            sender: None,
            subject: subject.map(str::to_owned),
            body_html: None,
            body_text: None,
            script: script.map(str::to_owned),
            provider_id: None,
            created_at: Utc::now(),
            sent_at: None,
        }
    }

    #[test]
    fn a_delivery_is_named_by_its_subject_or_its_script_first_line() {
        assert_eq!(title_of(&delivery(Some("Invoice"), Some("Hi"))), "Invoice");
        assert_eq!(
            title_of(&delivery(None, Some("\n  Hello Zoë \nBye"))),
            "Hello Zoë"
        );
        assert_eq!(title_of(&delivery(None, None)), "(no subject)");
    }
}
