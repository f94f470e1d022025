//! The segment tabs (Pending, Approved, …), each with how many actions it holds under the
//! current filters.

use leptos::prelude::*;

use crate::{
    api,
    context::Live,
    navigation::go,
    state::{InboxView, SEGMENTS},
};

#[component]
pub fn SegmentTabs(view: Memo<InboxView>) -> impl IntoView {
    let live = expect_context::<Live>();
    let counts = LocalResource::new(move || {
        let current = view.get();
        live.changes.track();
        async move {
            let mut counts = Vec::new();
            for segment in SEGMENTS {
                let total = api::list(&current.list_query(segment, 1, None))
                    .await
                    .map(|page| page.total_label())
                    .ok();
                counts.push((segment, total));
            }
            counts
        }
    });
    view! {
        <nav class="tabs" role="tablist" aria-label="Segments">
            {SEGMENTS
                .into_iter()
                .map(|segment| {
                    let count = move || {
                        counts
                            .get()
                            .and_then(|counts| {
                                counts.iter().find(|(s, _)| *s == segment).and_then(|(_, n)| n.clone())
                            })
                            .unwrap_or_default()
                    };
                    view! {
                        <button
                            type="button"
                            role="tab"
                            class="tab"
                            aria-selected=move || (view.get().segment() == segment).to_string()
                            on:click=move |_| {
                                go(&InboxView {
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
    }
}
