//! The Sent page: every message the app sent (or is about to send), newest first, as a mail
//! catcher shows them. The bodies are shown isolated: HTML in a sandboxed frame, text as text.

use chrono::{DateTime, Utc};
use inbox_domain::{
    delivery::{Delivery, DeliveryChannel},
    display::time_ago,
    dto::Page,
};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    components::error_notice::ErrorNotice,
    context::Live,
};

/// How many deliveries a page of the list holds.
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

/// The list after its first page was fetched again, and the cursor of the page after it. The
/// outbox is newest first and grows only at the top, so a fresh first page that overlaps what
/// was loaded replaces its top and keeps the pages loaded beyond it (and their cursor): a new
/// message does not throw away what the reviewer paged to. Without an overlap (more new
/// messages than a page, or nothing loaded yet) the list starts again from the fresh page.
fn refreshed(
    loaded: &[Delivery],
    loaded_cursor: Option<String>,
    first: Page<Delivery>,
) -> (Vec<Delivery>, Option<String>) {
    let overlaps = first
        .items
        .iter()
        .any(|fresh| loaded.iter().any(|old| old.id == fresh.id));
    if !overlaps {
        return (first.items, first.next_cursor);
    }
    let beyond: Vec<Delivery> = loaded
        .iter()
        .filter(|old| !first.items.iter().any(|fresh| fresh.id == old.id))
        .cloned()
        .collect();
    let mut items = first.items;
    items.extend(beyond);
    (items, loaded_cursor)
}

#[component]
pub fn SentPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let open = RwSignal::new(None::<Uuid>);
    let items = RwSignal::new(Vec::<Delivery>::new());
    let next_cursor = RwSignal::new(None::<String>);
    let total = RwSignal::new(0u64);
    let loaded = RwSignal::new(false);
    let loading_more = RwSignal::new(false);
    let failure = RwSignal::new(None::<ApiError>);
    // Answers to a reload that a newer reload overtook are dropped.
    let generation = StoredValue::new(0u64);

    Effect::new(move |_| {
        live.changes.track();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            let result = api::deliveries(None, None, PAGE_SIZE).await;
            if generation.get_value() != mine {
                return;
            }
            match result {
                Ok(first) => {
                    total.set(first.total);
                    let (list, cursor) = items.with_untracked(|loaded| {
                        refreshed(loaded, next_cursor.get_untracked(), first)
                    });
                    items.set(list);
                    next_cursor.set(cursor);
                    failure.set(None);
                }
                Err(error) => failure.set(Some(error)),
            }
            loaded.set(true);
        });
    });
    let load_more = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else {
            return;
        };
        loading_more.set(true);
        leptos::task::spawn_local(async move {
            match api::deliveries(None, Some(&cursor), PAGE_SIZE).await {
                // A reload that started over meanwhile made this page's place in the list void.
                Ok(page) if next_cursor.get_untracked().as_ref() == Some(&cursor) => {
                    items.update(|items| {
                        let new: Vec<Delivery> = page
                            .items
                            .into_iter()
                            .filter(|next| !items.iter().any(|item| item.id == next.id))
                            .collect();
                        items.extend(new);
                    });
                    next_cursor.set(page.next_cursor);
                }
                Ok(_) => {}
                Err(error) => failure.set(Some(error)),
            }
            loading_more.set(false);
        });
    };
    view! {
        <main class="page">
            <h2>"Sent"</h2>
            <p class="muted">"Every message approved here, exactly as it went (or goes) out."</p>
            {move || failure.get().map(|error| view! { <ErrorNotice error/> })}
            {move || {
                if !loaded.get() {
                    return view! { <p class="loading" role="status">"Loading the sent messages…"</p> }.into_any();
                }
                if items.with(Vec::is_empty) && failure.with(Option::is_none) {
                    return view! { <p class="empty">"Nothing has been sent yet."</p> }.into_any();
                }
                view! { <SentList items open/> }.into_any()
            }}
            <footer class="list-footer">
                {move || loaded.get().then(|| view! {
                    <span class="count">{move || format!("{} of {}", items.with(Vec::len), total.get())}</span>
                })}
                {move || next_cursor.get().is_some().then(|| view! {
                    <button type="button" class="secondary" disabled=move || loading_more.get() on:click=load_more>"Load more"</button>
                })}
            </footer>
        </main>
    }
}

#[component]
fn SentRow(delivery: Delivery, open: RwSignal<Option<Uuid>>, now: DateTime<Utc>) -> impl IntoView {
    let id = delivery.id;
    let when = time_ago(delivery.sent_at.unwrap_or(delivery.deliver_at), now);
    view! {
        <li>
            <button type="button" class="sent-row" data-id=id.to_string()
                aria-pressed=move || (open.get() == Some(id)).to_string()
                on:click=move |_| open.update(|o| *o = if *o == Some(id) { None } else { Some(id) })>
                <strong>{title_of(&delivery)}</strong>
                <span class="muted">{when}</span>
                <span>{format!("To {}", delivery.recipient.clone().unwrap_or_else(|| "—".to_owned()))}</span>
                <span class="muted">{format!("{} · {}", delivery.channel.label(), delivery.state.label())}</span>
            </button>
        </li>
    }
}

#[component]
fn SentList(items: RwSignal<Vec<Delivery>>, open: RwSignal<Option<Uuid>>) -> impl IntoView {
    let now = Utc::now();
    // Only a change of the open message itself redraws it (and its frame).
    let shown = Memo::new(move |_| {
        let id = open.get()?;
        items.with(|items| items.iter().find(|d| d.id == id).cloned())
    });
    view! {
        <ul class="sent-list" aria-label="Sent messages">
            <For each=move || items.get() key=|d| (d.id, d.state, d.attempts) let:delivery>
                <SentRow delivery open now/>
            </For>
        </ul>
        {move || shown.get().map(|delivery| view! { <SentMessage delivery/> })}
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
    let provider_id = delivery
        .channel
        .provider_id_label()
        .map(|label| (label, delivery.provider_id.clone()));
    let fields = [
        ("From", delivery.sender.clone()),
        ("To", delivery.recipient.clone()),
        ("Subject", delivery.subject.clone()),
        ("State", Some(delivery.state.label().to_owned())),
        ("Last error", delivery.last_error.clone()),
    ]
    .into_iter()
    .chain(provider_id);
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

    fn page(ids: &[u128], next: Option<&str>) -> Page<Delivery> {
        Page {
            items: ids.iter().map(|n| with_id(*n)).collect(),
            next_cursor: next.map(str::to_owned),
            total: 500,
            total_exact: true,
        }
    }

    fn with_id(n: u128) -> Delivery {
        Delivery {
            id: Uuid::from_u128(n),
            ..delivery(Some("Invoice"), None)
        }
    }

    fn ids(items: &[Delivery]) -> Vec<u128> {
        items.iter().map(|d| d.id.as_u128()).collect()
    }

    #[test]
    fn a_reload_keeps_the_pages_loaded_beyond_the_first() {
        let loaded: Vec<Delivery> = [9, 8, 7, 6, 5, 4].map(with_id).to_vec();
        let (items, cursor) = refreshed(
            &loaded,
            Some("after-4".into()),
            page(&[11, 10, 9], Some("after-9")),
        );
        assert_eq!(ids(&items), [11, 10, 9, 8, 7, 6, 5, 4]);
        assert_eq!(
            cursor.as_deref(),
            Some("after-4"),
            "the next page follows the last one loaded"
        );

        let retried = Delivery {
            state: DeliveryState::Scheduled,
            attempts: 2,
            ..with_id(9)
        };
        let fresh = Page {
            items: vec![retried.clone()],
            ..page(&[], None)
        };
        let (items, _) = refreshed(&loaded, None, fresh);
        assert_eq!(
            items[0], retried,
            "the first page's news replace what was shown"
        );
        assert_eq!(items.len(), loaded.len());
    }

    #[test]
    fn a_reload_without_an_overlap_starts_over() {
        let (items, cursor) = refreshed(&[], None, page(&[3, 2], Some("after-2")));
        assert_eq!(
            (ids(&items), cursor.as_deref()),
            (vec![3, 2], Some("after-2"))
        );
        let loaded: Vec<Delivery> = [2, 1].map(with_id).to_vec();
        let (items, cursor) = refreshed(&loaded, None, page(&[6, 5, 4], Some("after-4")));
        assert_eq!(
            (ids(&items), cursor.as_deref()),
            (vec![6, 5, 4], Some("after-4"))
        );
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
