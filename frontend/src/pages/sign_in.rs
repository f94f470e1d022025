//! The sign-in form, shown until a reviewer signs in.

use inbox_domain::auth::SignIn;
use leptos::prelude::*;

use crate::api;

#[component]
pub fn SignInPage(on_signed_in: impl Fn() + 'static) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let sign_in = Action::new_local(|credentials: &SignIn| {
        let credentials = credentials.clone();
        async move { api::sign_in(&credentials).await }
    });
    Effect::new(move |_| {
        if sign_in.value().with(|answer| matches!(answer, Some(Ok(_)))) {
            on_signed_in();
        }
    });
    // An answer shows once it is in; a success keeps the form busy until the inbox replaces it.
    let error = move || match sign_in.value().get() {
        Some(Err(failure)) if !sign_in.pending().get() => Some(failure.message),
        _ => None,
    };
    let busy = move || {
        sign_in.pending().get() || sign_in.value().with(|answer| matches!(answer, Some(Ok(_))))
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        sign_in.dispatch(SignIn {
            email: email.get_untracked(),
            password: password.get_untracked(),
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
                {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button type="submit" class="primary" disabled=busy>"Sign in"</button>
            </form>
        </main>
    }
}
