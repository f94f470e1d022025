//! A failed call, in words.

use leptos::prelude::*;

use crate::api::ApiError;

/// Shows why a call failed, announced to screen readers.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.message}</p> }
}
