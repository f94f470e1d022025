//! The app: who is signed in, the shell (header, introduction, routes), the context every page
//! reads and the live event stream that keeps it fresh.

use inbox_domain::{auth::Me, dto::ActionChanged, metrics::Metrics, safeguards::PresenceChanged};
use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_navigate,
    path, Lazy,
};
use wasm_bindgen::{closure::Closure, JsCast};

use crate::{
    api,
    browser_notifications::BrowserNotifications,
    components::{error_notice::ErrorNotice, undo_toast::UndoToast},
    context::{Live, Presence, Session, Undo},
    pages::{
        inbox::InboxPage,
        lazy::{
            AgentsRoute, AuditRoute, CustomerRoute, InsightsRoute, SentRoute, SettingsRoute,
            TogetherRoute,
        },
        sign_in::SignInPage,
    },
    state::InboxView,
};

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

/// Loads who is reviewing what.
fn load_presence(presence: Presence) {
    leptos::task::spawn_local(async move {
        if let Ok(leases) = api::leases().await {
            presence.replace(leases);
        }
    });
}

/// Subscribes to the live event stream until the shell goes away.
fn follow_events(
    live: Live,
    presence: Presence,
    notifications: BrowserNotifications,
    location_name: String,
) {
    let Ok(source) = web_sys::EventSource::new("/api/v1/events") else {
        return;
    };
    let on_presence =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(data) = event.data().as_string() {
                if let Ok(change) = api::parse_json::<PresenceChanged>(&data) {
                    presence.apply(change);
                }
            }
        });
    // Presence missed while the stream was away is loaded again.
    let on_resync = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
        live.changed();
        load_presence(presence);
    });
    let on_metrics =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(data) = event.data().as_string() {
                if let Ok(metrics) = api::parse_json::<Metrics>(&data) {
                    live.metrics.set(Some(metrics));
                }
            }
        });
    let on_change =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            live.changed();
            if let Some(data) = event.data().as_string() {
                if let Ok(change) = api::parse_json::<ActionChanged>(&data) {
                    notifications.announce(&change, &location_name);
                }
            }
        });
    for (name, callback) in [
        ("metrics", &on_metrics),
        ("action", &on_change),
        ("presence", &on_presence),
        ("resync", &on_resync),
    ] {
        let _ = source.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
    }
    // The callbacks live as long as the stream; all go when the shell does.
    let stream = StoredValue::new_local((source, on_metrics, on_change, on_presence, on_resync));
    on_cleanup(move || stream.with_value(|(source, ..)| source.close()));
}

/// The signed-in app: header, introduction, pages.
#[component]
fn Shell(me: Me, on_signed_out: impl Fn() + 'static) -> impl IntoView {
    let live = Live {
        metrics: RwSignal::new(None),
        changes: RwSignal::new(0),
    };
    let csrf = me.csrf_token.clone().unwrap_or_default();
    let presence = Presence::new(&me);
    provide_context(live);
    provide_context(presence);
    provide_context(Undo::default());
    provide_context(Session {
        csrf: csrf.clone(),
        me: me.clone(),
    });
    let notifications = BrowserNotifications::default();
    provide_context(notifications);
    // Only a person has notification preferences; an API key is never notified.
    if me.user.is_some() {
        notifications.load_preferences();
    }
    follow_events(live, presence, notifications, me.location.name.clone());
    load_presence(presence);
    if let Ok(handle) =
        set_interval_with_handle(move || presence.tick(), std::time::Duration::from_secs(5))
    {
        on_cleanup(move || handle.clear());
    }
    // Shown on every fresh load of the page, as the product document asks.
    let intro = RwSignal::new(true);
    let who = me
        .user
        .as_ref()
        .map_or_else(|| "API key".to_owned(), |user| user.name.clone());
    let sign_out = Action::new_local(move |_: &()| {
        let csrf = csrf.clone();
        async move { api::sign_out(&csrf).await }
    });
    // Signed out or not, reload who we are: a failure shows on the next screen.
    Effect::new(move |_| {
        if sign_out.version().get() > 0 {
            on_signed_out();
        }
    });
    view! {
        <Router>
            <header class="topbar">
                <h1><a href="/">"AI Inbox"</a></h1>
                <nav class="crumbs" aria-label="Breadcrumb">"Operations → AI Assistant → AI Inbox"</nav>
                <span class="spacer"></span>
                <a class="nav" href="/insights">"Insights"</a>
                <a class="nav" href="/agents">"Agents"</a>
                <a class="nav" href="/audit">"Audit"</a>
                <a class="nav" href="/sent">"Sent"</a>
                <a class="nav" href="/settings">"Settings"</a>
                <span class="who">{format!("{who} · {}", me.location.name)}</span>
                <button type="button" class="link" on:click=move |_| { sign_out.dispatch(()); }>"Sign out"</button>
            </header>
            {move || {
                if intro.get() {
                    view! { <Introduction on_dismiss=move || intro.set(false)/> }.into_any()
                } else {
                    view! {
                        <Routes fallback=|| view! { <p class="empty">"There is no such page."</p> }>
                            <Route path=path!("/") view=InboxPage/>
                            <Route path=path!("/agents") view={Lazy::<AgentsRoute>::new()}/>
                            <Route path=path!("/insights") view={Lazy::<InsightsRoute>::new()}/>
                            <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()}/>
                            <Route path=path!("/sent") view={Lazy::<SentRoute>::new()}/>
                            <Route path=path!("/settings") view={Lazy::<SettingsRoute>::new()}/>
                            <Route path=path!("/customers/:id") view={Lazy::<CustomerRoute>::new()}/>
                            <Route path=path!("/customers/:id/together") view={Lazy::<TogetherRoute>::new()}/>
                        </Routes>
                    }
                    .into_any()
                }
            }}
            <UndoToast/>
            <OpenNotifiedAction notifications intro/>
        </Router>
    }
}

/// Opens the action of a clicked browser notification in the inbox, past the introduction.
#[component]
fn OpenNotifiedAction(notifications: BrowserNotifications, intro: RwSignal<bool>) -> impl IntoView {
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(id) = notifications.open.get() {
            notifications.open.set(None);
            intro.set(false);
            let view = InboxView {
                open: Some(id),
                ..InboxView::default()
            };
            navigate(&view.to_url(), Default::default());
        }
    });
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
