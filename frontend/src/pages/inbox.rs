//! The inbox: metrics bar, segment tabs, filters, the sortable list, bulk actions and the detail
//! panel of the open action. Everything the reviewer chose lives in the URL.

use inbox_domain::{dto::ActionListItem, ActionStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{self, ApiError},
    components::{
        action_list::{ActionTable, EmptyState},
        bulk_bar::LazyBulkBar,
        detail_panel::{fetch_panel_code, Carried, LazyDetailPanel},
        error_notice::ErrorNotice,
        filters::Filters,
        keyboard_help::KeyboardHelp,
        metrics_bar::{MetricsBar, MetricsBarSkeleton},
        segment_tabs::SegmentTabs,
    },
    context::{Live, Selection, Shortcuts},
    navigation::{follow_keys, KeyTargets},
    state::InboxView,
};

/// Rows per page.
const PAGE_SIZE: u32 = 50;

#[component]
pub fn InboxPage() -> impl IntoView {
    fetch_panel_code();
    let query = use_query_map();
    let view = Memo::new(move |_| {
        let query = query.get();
        InboxView::from_pairs(|key| query.get_str(key))
    });
    let live = expect_context::<Live>();

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
    let total = RwSignal::new(String::from("0"));
    let loading = RwSignal::new(true);
    let failure = RwSignal::new(None::<ApiError>);
    let selected = Selection::default();
    // Answers that arrive after a newer request was made are dropped.
    let generation = StoredValue::new(0u64);

    let reload = move || {
        let current = view.get_untracked();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let result = api::list(&current.list_query(current.segment(), PAGE_SIZE, None)).await;
            if generation.get_value() != mine {
                return;
            }
            match result {
                Ok(page) => {
                    total.set(page.total_label());
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
            selected.clear();
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
            let query = current.list_query(current.segment(), PAGE_SIZE, Some(&cursor));
            match api::list(&query).await {
                Ok(page) if generation.get_value() == mine => {
                    next_cursor.set(page.next_cursor);
                    rows.update(|rows| rows.extend(page.items));
                }
                Ok(_) => {}
                Err(error) => failure.set(Some(error)),
            }
        });
    };

    let agents = LocalResource::new(api::agents);
    // A memo: a filter or sort change keeps the open panel (and its review lease) as it is.
    let open = Memo::new(move |_| view.get().open);

    // What a decision said, for the panel of the next action it opens.
    let carried: Carried = RwSignal::new(None);
    let cursor = RwSignal::new(None::<usize>);
    let help = RwSignal::new(false);
    let shortcuts = Shortcuts(RwSignal::new(None));
    provide_context(shortcuts);
    follow_keys(KeyTargets {
        view,
        rows,
        cursor,
        selected,
        help,
        shortcuts,
    });

    view! {
        <main class="inbox" class:with-panel=move || open.get().is_some()>
            {move || match live.metrics.get() {
                Some(metrics) => view! { <MetricsBar metrics/> }.into_any(),
                None => view! { <MetricsBarSkeleton/> }.into_any(),
            }}
            <SegmentTabs view/>
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
                        view! { <ActionTable view=current rows selected cursor/> }.into_any()
                    }}
                    <footer class="list-footer">
                        <span class="count">{move || format!("{} of {}", rows.with(Vec::len), total.get())}</span>
                        {move || next_cursor.get().is_some().then(|| view! {
                            <button type="button" class="secondary" on:click=load_more>"Load more"</button>
                        })}
                    </footer>
                </section>
                {move || open.get().map(|id| view! { <LazyDetailPanel id view rows carried/> })}
            </div>
            <LazyBulkBar selected rows on_done=Callback::new(move |()| reload())/>
            <Show when=move || help.get()>
                <KeyboardHelp on_close=move || help.set(false)/>
            </Show>
        </main>
    }
}
