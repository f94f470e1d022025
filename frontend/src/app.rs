//! The app: signing in, the shell (header, introduction, routes) and the live event stream.

use inbox_domain::{
    auth::Me,
    display::{percent, short_duration},
    metrics::Metrics,
};
use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};
use wasm_bindgen::{closure::Closure, JsCast};

use crate::api::{self, ApiError};

/// The signed-in reviewer, for every component that changes something.
#[derive(Debug, Clone)]
pub struct Session {
    pub me: Me,
    /// Sent as `X-CSRF-Token` with every change.
    pub csrf: String,
}

/// What the live event stream keeps fresh.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub metrics: RwSignal<Option<Metrics>>,
    /// Goes up with every change of any action: lists and panels reload on it.
    pub changes: RwSignal<u64>,
}

#[component]
pub fn App() -> impl IntoView {
    let me = LocalResource::new(api::me);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me_now) => view! { <Shell me=me_now on_signed_out=move || me.refetch()/> }.into_any(),
                    Err(error) if error.needs_sign_in() => {
                        view! { <SignInPage on_signed_in=move || me.refetch()/> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Subscribes to the live event stream until the shell goes away.
fn follow_events(live: Live) {
    let Ok(source) = web_sys::EventSource::new("/api/v1/events") else {
        return;
    };
    let on_metrics =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(data) = event.data().as_string() {
                if let Ok(metrics) = serde_json::from_str::<Metrics>(&data) {
                    live.metrics.set(Some(metrics));
                }
            }
        });
    let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
        live.changes.update(|n| *n += 1);
    });
    for (name, callback) in [
        ("metrics", &on_metrics),
        ("action", &on_change),
        ("resync", &on_change),
    ] {
        let _ = source.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
    }
    // The callbacks live as long as the stream; both go when the shell does.
    let stream = StoredValue::new_local((source, on_metrics, on_change));
    on_cleanup(move || stream.with_value(|(source, _, _)| source.close()));
}

/// The signed-in app: header, introduction, pages.
#[component]
fn Shell(me: Me, on_signed_out: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let live = Live {
        metrics: RwSignal::new(None),
        changes: RwSignal::new(0),
    };
    provide_context(live);
    provide_context(Session {
        csrf: me.csrf_token.clone().unwrap_or_default(),
        me: me.clone(),
    });
    follow_events(live);
    // Shown on every fresh load of the page, as the product document asks.
    let intro = RwSignal::new(true);
    let who = me
        .user
        .as_ref()
        .map_or_else(|| "API key".to_owned(), |user| user.name.clone());
    let csrf = me.csrf_token.clone().unwrap_or_default();
    let sign_out = move |_| {
        let (csrf, on_signed_out) = (csrf.clone(), on_signed_out.clone());
        leptos::task::spawn_local(async move {
            // Signed out or not, reload who we are: a failure shows on the next screen.
            let _ = api::sign_out(csrf).await;
            on_signed_out();
        });
    };
    view! {
        <Router>
            <header class="topbar">
                <h1><a href="/">"AI Inbox"</a></h1>
                <nav class="crumbs" aria-label="Breadcrumb">"Operations → AI Assistant → AI Inbox"</nav>
                <span class="spacer"></span>
                <a class="nav" href="/agents">"Agents"</a>
                <span class="who">{format!("{who} · {}", me.location.name)}</span>
                <button type="button" class="link" on:click=sign_out>"Sign out"</button>
            </header>
            {move || {
                if intro.get() {
                    view! { <Introduction on_dismiss=move || intro.set(false)/> }.into_any()
                } else {
                    view! {
                        <Routes fallback=|| view! { <p class="empty">"There is no such page."</p> }>
                            <Route path=path!("/") view=crate::inbox::InboxPage/>
                            <Route path=path!("/agents") view=crate::pages::AgentsPage/>
                            <Route path=path!("/customers/:id") view=crate::pages::CustomerPage/>
                        </Routes>
                    }
                    .into_any()
                }
            }}
        </Router>
    }
}

/// The introduction screen of the product document.
#[component]
fn Introduction(on_dismiss: impl Fn() + 'static) -> impl IntoView {
    view! {
        <main class="intro">
            <section class="intro-card" aria-labelledby="intro-title">
                <h2 id="intro-title">"Welcome to the AI Inbox"</h2>
                <p>
                    "Your AI assistant continuously monitors your space and identifies opportunities to engage with customers — from payment reminders to lead follow-ups. Each proposed action appears here for your review and approval before anything is sent. You can edit messages, approve them as-is, or dismiss them. Over time, you can enable auto-execute for specific action types you trust."
                </p>
                <button type="button" class="primary" autofocus on:click=move |_| on_dismiss()>"Go to the inbox"</button>
            </section>
        </main>
    }
}

/// The sign-in form, shown until a reviewer signs in.
#[component]
fn SignInPage(on_signed_in: impl Fn() + Clone + 'static) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        busy.set(true);
        error.set(None);
        let on_signed_in = on_signed_in.clone();
        leptos::task::spawn_local(async move {
            match api::sign_in(email.get_untracked(), password.get_untracked()).await {
                Ok(_) => on_signed_in(),
                Err(failure) => {
                    error.set(Some(failure.message));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <main class="sign-in">
            <form class="sign-in-card" on:submit=submit aria-labelledby="sign-in-title">
                <h1 id="sign-in-title">"AI Inbox"</h1>
                <p class="muted">"Sign in to review what your AI agents propose."</p>
                <label for="email">"Email"</label>
                <input id="email" type="email" autocomplete="username" required
                    prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                <label for="password">"Password"</label>
                <input id="password" type="password" autocomplete="current-password" required
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                {move || error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button type="submit" class="primary" disabled=move || busy.get()>"Sign in"</button>
            </form>
        </main>
    }
}

#[component]
pub fn MetricsBar(metrics: Metrics) -> impl IntoView {
    let tiles = [
        ("Pending review", metrics.pending_review.to_string()),
        ("Approved today", metrics.approved_today.to_string()),
        ("Rejected today", metrics.rejected_today.to_string()),
        (
            "Avg. review time",
            metrics
                .avg_review_time_seconds
                .map_or_else(|| "—".to_owned(), short_duration),
        ),
        (
            "Approval rate",
            metrics
                .approval_rate
                .map_or_else(|| "—".to_owned(), percent),
        ),
    ];
    view! {
        <section class="metrics" aria-label="Metrics">
            {tiles
                .into_iter()
                .map(|(label, value)| {
                    view! {
                        <div class="metric" role="group" aria-label=label>
                            <span class="metric-value">{value}</span>
                            <span class="metric-label">{label}</span>
                        </div>
                    }
                })
                .collect_view()}
        </section>
    }
}

#[component]
pub fn MetricsBarSkeleton() -> impl IntoView {
    view! { <section class="metrics loading" aria-busy="true" aria-label="Metrics">"Loading metrics…"</section> }
}

#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.message}</p> }
}

/// Keeps Tab and Shift+Tab inside a dialog whose first and last focusable controls are given.
pub fn trap_focus(
    event: &leptos::ev::KeyboardEvent,
    first: NodeRef<leptos::html::Button>,
    last: NodeRef<leptos::html::Button>,
) {
    if event.key() != "Tab" {
        return;
    }
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let is = |node: NodeRef<leptos::html::Button>| {
        node.get_untracked()
            .zip(active.clone())
            .is_some_and(|(button, active)| {
                let button: &web_sys::Element = button.as_ref();
                *button == active
            })
    };
    let target = if event.shift_key() && is(first) {
        last
    } else if !event.shift_key() && is(last) {
        first
    } else {
        return;
    };
    event.prevent_default();
    if let Some(button) = target.get_untracked() {
        let _ = button.focus();
    }
}
