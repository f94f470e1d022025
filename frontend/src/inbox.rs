//! The inbox: metrics bar, segment tabs, filters, the sortable list, bulk actions and the detail
//! panel of the open action. Everything the reviewer chose lives in the URL.

use chrono::Utc;
use inbox_domain::{
    display::{customer_line, time_ago, time_remaining, truncate},
    dto::{ActionListItem, Agent, BulkOp, BulkRequest},
    ActionStatus, Channel, Priority, RejectionReason, SnoozeDuration,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use uuid::Uuid;

use crate::{
    api::{self, ApiError},
    app::{trap_focus, ErrorNotice, Live, MetricsBar, MetricsBarSkeleton, Session},
    state::{InboxView, SEGMENTS},
};

/// How many characters of a subject fit in its column.
const SUBJECT_WIDTH: usize = 40;
/// Rows per page.
const PAGE_SIZE: u32 = 50;

/// The list's columns: header, sort key.
const COLUMNS: [(&str, &str); 10] = [
    ("Subject", "subject"),
    ("Customer", "customer"),
    ("Criteria type", "agent"),
    ("Action type", "action_type"),
    ("Channel", "channel"),
    ("Confidence", "confidence"),
    ("Priority", "priority"),
    ("Status", "status"),
    ("Created", "created_at"),
    ("Expires", "expires_at"),
];

/// A keyboard command for the open action's panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Approve,
    Edit,
    Reject,
    Snooze,
    /// Escape: close whatever form or dialog is open.
    Cancel,
}

/// Carries keyboard commands from the inbox to the open panel; the panel takes each one once.
#[derive(Debug, Clone, Copy)]
pub struct Shortcuts(pub RwSignal<Option<Shortcut>>);

/// Whether a key press belongs to a field being typed in, not to the shortcuts.
fn typing(event: &leptos::ev::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || element.is_content_editable()
        })
}

/// Moves the app to `view` (a new history entry, so Back restores the previous view).
pub fn go(view: &InboxView) {
    use_navigate()(&view.to_url(), Default::default());
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let view = Memo::new(move |_| {
        let query = query.get();
        InboxView::from_pairs(|key| query.get_str(key))
    });
    let live = expect_context::<Live>();
    let navigate = use_navigate();
    let navigate_to = move |next: InboxView| navigate(&next.to_url(), Default::default());

    // Metrics come from the live stream; fetched once in case the stream is slow to start.
    let first_metrics = LocalResource::new(api::metrics);
    Effect::new(move |_| {
        if let Some(Ok(metrics)) = first_metrics.get() {
            if live.metrics.get_untracked().is_none() {
                live.metrics.set(Some(metrics));
            }
        }
    });

    let rows = RwSignal::new(Vec::<ActionListItem>::new());
    let next_cursor = RwSignal::new(None::<String>);
    let total = RwSignal::new(0u64);
    let loading = RwSignal::new(true);
    let failure = RwSignal::new(None::<ApiError>);
    let selected = RwSignal::new(Vec::<Uuid>::new());
    // Answers that arrive after a newer request was made are dropped.
    let generation = StoredValue::new(0u64);

    let reload = move || {
        let current = view.get_untracked();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let result = api::list(current.api_query(current.segment(), PAGE_SIZE, None)).await;
            if generation.get_value() != mine {
                return;
            }
            match result {
                Ok(page) => {
                    total.set(page.total);
                    next_cursor.set(page.next_cursor);
                    rows.set(page.items);
                    failure.set(None);
                }
                Err(error) => failure.set(Some(error)),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        view.track();
        live.changes.track();
        reload();
    });
    // A new segment or filter starts a new selection.
    Effect::new(move |previous: Option<(ActionStatus, bool)>| {
        let current = view.get();
        let key = (current.segment(), current.is_filtered());
        if previous.is_some_and(|p| p != key) {
            selected.set(Vec::new());
        }
        key
    });
    let load_more = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else {
            return;
        };
        let current = view.get_untracked();
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            match api::list(current.api_query(current.segment(), PAGE_SIZE, Some(&cursor))).await {
                Ok(page) if generation.get_value() == mine => {
                    next_cursor.set(page.next_cursor);
                    rows.update(|rows| rows.extend(page.items));
                }
                Ok(_) => {}
                Err(error) => failure.set(Some(error)),
            }
        });
    };

    let counts = LocalResource::new(move || {
        let current = view.get();
        live.changes.track();
        async move {
            let mut counts = Vec::new();
            for segment in SEGMENTS {
                let total = api::list(current.api_query(segment, 1, None))
                    .await
                    .map(|page| page.total)
                    .ok();
                counts.push((segment, total));
            }
            counts
        }
    });

    let agents = LocalResource::new(api::agents);
    let open = move || view.get().open;

    // Keyboard: j/k move, Enter opens, x selects, a/e/r/s act on the open action, ? helps.
    let cursor = RwSignal::new(None::<usize>);
    let help = RwSignal::new(false);
    let shortcuts = Shortcuts(RwSignal::new(None));
    provide_context(shortcuts);
    provide_context(Cursor(cursor, rows));
    // Captured here: the listener runs outside the router's reach.
    let navigate_keys = use_navigate();
    let keys = window_event_listener(leptos::ev::keydown, move |event| {
        if typing(&event) || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let count = rows.with(Vec::len);
        let at = |index: usize| rows.with(|rows| rows.get(index).map(|row| row.id));
        match event.key().as_str() {
            "j" if count > 0 => {
                cursor.update(|c| *c = Some(c.map_or(0, |c| (c + 1).min(count - 1))))
            }
            "k" if count > 0 => cursor.update(|c| *c = Some(c.map_or(0, |c| c.saturating_sub(1)))),
            "Enter" => match cursor.get_untracked().and_then(at) {
                Some(id) => {
                    let next = InboxView {
                        open: Some(id.to_string()),
                        ..view.get_untracked()
                    };
                    navigate_keys(&next.to_url(), Default::default());
                }
                None => return,
            },
            "x" => match cursor.get_untracked().and_then(at) {
                Some(id) => selected.update(|s| match s.iter().position(|x| *x == id) {
                    Some(found) => {
                        s.remove(found);
                    }
                    None => s.push(id),
                }),
                None => return,
            },
            "a" | "e" | "r" | "s" if view.get_untracked().open.is_some() => {
                shortcuts.0.set(Some(match event.key().as_str() {
                    "a" => Shortcut::Approve,
                    "e" => Shortcut::Edit,
                    "r" => Shortcut::Reject,
                    _ => Shortcut::Snooze,
                }));
            }
            "?" => help.update(|shown| *shown = !*shown),
            "Escape" => {
                help.set(false);
                shortcuts.0.set(Some(Shortcut::Cancel));
            }
            _ => return,
        }
        event.prevent_default();
    });
    on_cleanup(move || keys.remove());
    let navigate_tab = navigate_to.clone();
    let navigate_sort = navigate_to.clone();

    view! {
        <main class="inbox" class:with-panel=move || open().is_some()>
            {move || match live.metrics.get() {
                Some(metrics) => view! { <MetricsBar metrics/> }.into_any(),
                None => view! { <MetricsBarSkeleton/> }.into_any(),
            }}
            <nav class="tabs" role="tablist" aria-label="Segments">
                {SEGMENTS
                    .into_iter()
                    .map(|segment| {
                        let navigate = navigate_tab.clone();
                        let count = move || {
                            counts
                                .get()
                                .and_then(|counts| counts.iter().find(|(s, _)| *s == segment).and_then(|(_, n)| *n))
                                .map(|n| n.to_string())
                                .unwrap_or_default()
                        };
                        view! {
                            <button
                                type="button"
                                role="tab"
                                class="tab"
                                aria-selected=move || (view.get().segment() == segment).to_string()
                                on:click=move |_| {
                                    navigate(InboxView {
                                        segment: Some(segment),
                                        open: None,
                                        ..view.get_untracked()
                                    })
                                }
                            >
                                {segment.label()}
                                <span class="tab-count">{count}</span>
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <Filters view agents/>
            <div class="workspace">
                <section class="list" aria-label="Actions">
                    {move || failure.get().map(|error| view! { <ErrorNotice error/> })}
                    {move || {
                        let current = view.get();
                        if loading.get() && rows.with(Vec::is_empty) {
                            return view! { <p class="loading" role="status">"Loading actions…"</p> }.into_any();
                        }
                        if rows.with(Vec::is_empty) && failure.with(Option::is_none) {
                            return view! { <EmptyState view=current/> }.into_any();
                        }
                        let navigate = navigate_sort.clone();
                        view! {
                            <ActionTable view=current rows selected on_sort=move |next| navigate(next)/>
                        }
                        .into_any()
                    }}
                    <footer class="list-footer">
                        <span class="count">{move || format!("{} of {}", rows.with(Vec::len), total.get())}</span>
                        {move || next_cursor.get().is_some().then(|| view! {
                            <button type="button" class="secondary" on:click=load_more>"Load more"</button>
                        })}
                    </footer>
                </section>
                {move || open().map(|id| view! { <crate::detail::DetailPanel id view/> })}
            </div>
            <BulkBar selected rows on_done=move || reload()/>
            <Show when=move || help.get()>
                <KeyboardHelp on_close=move || help.set(false)/>
            </Show>
        </main>
    }
}

/// Filters for criteria type, customer, confidence, priority, channel and dates.
#[component]
fn Filters(
    view: Memo<InboxView>,
    agents: LocalResource<Result<Vec<Agent>, ApiError>>,
) -> impl IntoView {
    let change = move |edit: Box<dyn Fn(&mut InboxView)>| {
        let mut next = view.get_untracked();
        edit(&mut next);
        next.open = None;
        go(&next);
    };
    let text = |value: String| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
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
            <label>
                "Created from"
                <input type="date"
                    prop:value=move || view.get().created_from.unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.created_from = text(v.clone()))) }/>
            </label>
            <label>
                "to"
                <input type="date"
                    prop:value=move || view.get().created_to.unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.created_to = text(v.clone()))) }/>
            </label>
            <label>
                "Expires from"
                <input type="date"
                    prop:value=move || view.get().expires_from.unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.expires_from = text(v.clone()))) }/>
            </label>
            <label>
                "to"
                <input type="date"
                    prop:value=move || view.get().expires_to.unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |view| view.expires_to = text(v.clone()))) }/>
            </label>
            {move || view.get().is_filtered().then(|| view! {
                <button type="button" class="link" on:click=move |_| go(&view.get_untracked().without_filters())>"Clear filters"</button>
            })}
        </form>
    }
}

/// The row the keyboard cursor is on, shared with the rows.
#[derive(Debug, Clone, Copy)]
struct Cursor(RwSignal<Option<usize>>, RwSignal<Vec<ActionListItem>>);

/// The list of keyboard shortcuts (`?`).
#[component]
fn KeyboardHelp(on_close: impl Fn() + Clone + 'static) -> impl IntoView {
    let close_button: NodeRef<leptos::html::Button> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(button) = close_button.get() {
            let _ = button.focus();
        }
    });
    let shortcuts = [
        ("j / k", "Move down / up the list"),
        ("Enter", "Open the action"),
        ("x", "Select or unselect the action"),
        ("a", "Approve & Send the open action"),
        ("e", "Edit the open action"),
        ("r", "Reject the open action"),
        ("s", "Snooze the open action"),
        ("Esc", "Close a form or dialog"),
        ("?", "Show or hide this help"),
    ];
    let close = on_close.clone();
    view! {
        <div class="modal-backdrop" on:keydown=move |ev| if ev.key() == "Escape" { close() }>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="keys-title"
                on:keydown=move |ev| trap_focus(&ev, close_button, close_button)>
                <h2 id="keys-title">"Keyboard shortcuts"</h2>
                <dl class="fields">
                    {shortcuts.into_iter().map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> }).collect_view()}
                </dl>
                <div class="modal-actions">
                    <button type="button" class="primary" node_ref=close_button on:click=move |_| on_close()>"Close"</button>
                </div>
            </div>
        </div>
    }
}

/// The two empty states of the product document.
#[component]
fn EmptyState(view: InboxView) -> impl IntoView {
    if view.is_filtered() {
        let cleared = view.without_filters();
        return view! {
            <div class="empty" role="status">
                <h3>"No results found"</h3>
                <p>"No actions match your current filters. Try adjusting or clearing your filters."</p>
                <button type="button" class="secondary" on:click=move |_| go(&cleared)>"Clear filters"</button>
            </div>
        }
        .into_any();
    }
    if view.segment() == ActionStatus::Pending {
        return view! {
            <div class="empty" role="status">
                <h3>"No pending actions"</h3>
                <p>"All caught up! No actions need review right now."</p>
                <p><a href="/agents">"Configure your AI agents"</a>" to generate more activity."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="empty" role="status">
            <h3>{format!("No {} actions", view.segment().label().to_lowercase())}</h3>
        </div>
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
fn ActionTable(
    view: InboxView,
    rows: RwSignal<Vec<ActionListItem>>,
    selected: RwSignal<Vec<Uuid>>,
    on_sort: impl Fn(InboxView) + Clone + 'static,
) -> impl IntoView {
    let all_selected = move || {
        rows.with(|rows| {
            !rows.is_empty()
                && rows
                    .iter()
                    .all(|row| selected.with(|s| s.contains(&row.id)))
        })
    };
    let toggle_all = move |_| {
        if all_selected() {
            selected.set(Vec::new());
        } else {
            selected.set(rows.with(|rows| rows.iter().map(|row| row.id).collect()));
        }
    };
    let headers = COLUMNS
        .iter()
        .map(|(name, key)| {
            let direction = view.sort_direction(key);
            let aria = match direction {
                Some(true) => "descending",
                Some(false) => "ascending",
                None => "none",
            };
            let arrow = match direction {
                Some(true) => " ▼",
                Some(false) => " ▲",
                None => "",
            };
            let next = view.sorted_by(key);
            let on_sort = on_sort.clone();
            view! {
                <th scope="col" aria-sort=aria>
                    <button type="button" class="sort" on:click=move |_| on_sort(next.clone())>{*name}{arrow}</button>
                </th>
            }
        })
        .collect_view();
    let now = Utc::now();
    let open_view = view.clone();
    view! {
        <table class="actions">
            <thead>
                <tr>
                    <th scope="col" class="check">
                        <input type="checkbox" aria-label="Select all" prop:checked=all_selected on:change=toggle_all/>
                    </th>
                    {headers}
                </tr>
            </thead>
            <tbody>
                <For each=move || rows.get() key=|row| (row.id, row.version) let:item>
                    <ActionRow item now selected view=open_view.clone()/>
                </For>
            </tbody>
        </table>
    }
}

#[component]
fn ActionRow(
    item: ActionListItem,
    now: chrono::DateTime<Utc>,
    selected: RwSignal<Vec<Uuid>>,
    view: InboxView,
) -> impl IntoView {
    let id = item.id;
    let subject = truncate(&item.subject, SUBJECT_WIDTH);
    let is_selected = move || selected.with(|s| s.contains(&id));
    let Cursor(cursor, rows) = expect_context::<Cursor>();
    let is_cursor = move || {
        let index = rows.with(|rows| rows.iter().position(|row| row.id == id));
        index.is_some() && index == cursor.get()
    };
    let toggle = move |_| {
        selected.update(|s| {
            if let Some(at) = s.iter().position(|x| *x == id) {
                s.remove(at);
            } else {
                s.push(id);
            }
        })
    };
    let open = InboxView {
        open: Some(id.to_string()),
        ..view.clone()
    };
    let is_open = view.open.as_deref() == Some(id.to_string().as_str());
    let open_row = move |_| go(&open);
    let open_from_link = open_row.clone();
    view! {
        <tr class="action-row" class:open=is_open class:selected=is_selected class:cursor=is_cursor
            aria-current=move || if is_cursor() { "true" } else { "false" } data-id=id.to_string() on:click=open_row>
            <td class="check" on:click=|event| event.stop_propagation()>
                <input type="checkbox" aria-label=format!("Select {}", item.subject) prop:checked=is_selected on:change=toggle/>
            </td>
            <td class="subject" title=item.subject.clone()>
                <button type="button" class="row-link" on:click=move |event| { event.stop_propagation(); open_from_link(event) }>{subject}</button>
            </td>
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

/// The bar at the bottom while rows are selected: Bulk Approve, Bulk Reject, Bulk Snooze.
#[component]
fn BulkBar(
    selected: RwSignal<Vec<Uuid>>,
    rows: RwSignal<Vec<ActionListItem>>,
    on_done: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let reason = RwSignal::new(RejectionReason::AlreadyResolved.as_str().to_owned());
    let duration = RwSignal::new(SnoozeDuration::OneDay.as_str().to_owned());
    let confirming = RwSignal::new(false);
    let bulk_cancel: NodeRef<leptos::html::Button> = NodeRef::new();
    let bulk_confirm: NodeRef<leptos::html::Button> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(button) = bulk_confirm.get() {
            let _ = button.focus();
        }
    });
    // The summary, and one line per action that was not decided.
    let outcome = RwSignal::new(None::<(String, Vec<String>)>);
    let run = move |op: BulkOp| {
        let ids = selected.get_untracked();
        let subjects: Vec<(Uuid, String)> = rows.with_untracked(|rows| {
            rows.iter()
                .filter(|row| ids.contains(&row.id))
                .map(|row| (row.id, row.subject.clone()))
                .collect()
        });
        let request = BulkRequest {
            op,
            ids,
            reason: (op == BulkOp::Reject)
                .then(|| reason.get_untracked().parse().ok())
                .flatten(),
            note: None,
            duration: (op == BulkOp::Snooze)
                .then(|| duration.get_untracked().parse().ok())
                .flatten(),
            until: None,
        };
        let csrf = session.csrf.clone();
        let on_done = on_done.clone();
        confirming.set(false);
        leptos::task::spawn_local(async move {
            match api::bulk(request, csrf).await {
                Ok(response) => {
                    let done = response.results.iter().filter(|r| r.ok).count();
                    let failed: Vec<String> = response
                        .results
                        .iter()
                        .filter_map(|r| {
                            let error = r.error.as_ref()?;
                            let subject = subjects
                                .iter()
                                .find(|(id, _)| *id == r.id)
                                .map_or_else(|| r.id.to_string(), |(_, subject)| subject.clone());
                            Some(format!("{subject}: {}", error.detail))
                        })
                        .collect();
                    outcome.set(Some((format!("{done} done."), failed)));
                    selected.set(Vec::new());
                }
                Err(error) => outcome.set(Some((error.message, Vec::new()))),
            }
            on_done();
        });
    };
    let run_reject = run.clone();
    let run_snooze = run.clone();
    view! {
        {move || outcome.get().map(|(summary, failed)| view! {
            <div class="toast" role="status">
                <div>
                    <p>{summary}</p>
                    {(!failed.is_empty()).then(|| view! {
                        <ul class="bulk-failures">{failed.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                    })}
                </div>
                <button type="button" class="link" on:click=move |_| outcome.set(None)>"Dismiss"</button>
            </div>
        })}
        <Show when=move || selected.with(|s| !s.is_empty())>
            <section class="bulk-bar" aria-label="Bulk actions">
                <strong>{move || format!("{} selected", selected.with(Vec::len))}</strong>
                <button type="button" class="primary" on:click=move |_| confirming.set(true)>"Bulk Approve"</button>
                <label>
                    "Reason"
                    <select prop:value=reason on:change=move |ev| reason.set(event_target_value(&ev))>
                        {RejectionReason::ALL.iter().filter(|r| **r != RejectionReason::Other).map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="danger" on:click={let run = run_reject.clone(); move |_| run(BulkOp::Reject)}>"Bulk Reject"</button>
                <label>
                    "Snooze for"
                    <select prop:value=duration on:change=move |ev| duration.set(event_target_value(&ev))>
                        {SnoozeDuration::ALL.iter().map(|d| view! { <option value=d.as_str()>{d.label()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="secondary" on:click={let run = run_snooze.clone(); move |_| run(BulkOp::Snooze)}>"Bulk Snooze"</button>
                <button type="button" class="link" on:click=move |_| selected.set(Vec::new())>"Clear selection"</button>
            </section>
        </Show>
        <Show when=move || confirming.get()>
            <div class="modal-backdrop">
                <div class="modal" role="dialog" aria-modal="true" aria-labelledby="bulk-approve-title"
                    on:keydown=move |ev| trap_focus(&ev, bulk_cancel, bulk_confirm)>
                    <h2 id="bulk-approve-title">{move || format!("Approve and send {} actions?", selected.with(Vec::len))}</h2>
                    <p class="warning">"Use bulk approval cautiously, and only for low-risk, similar actions (e.g., payment reminders). Every selected message goes out as drafted."</p>
                    <div class="modal-actions">
                        <button type="button" class="secondary" node_ref=bulk_cancel on:click=move |_| confirming.set(false)>"Cancel"</button>
                        <button type="button" class="primary" node_ref=bulk_confirm on:click={let run = run.clone(); move |_| run(BulkOp::Approve)}>"Approve & Send all"</button>
                    </div>
                </div>
            </div>
        </Show>
    }
}
