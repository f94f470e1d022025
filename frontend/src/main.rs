//! The AI Inbox review client: Leptos, rendered in the browser, built to WASM.

mod api;
mod app;
mod browser_notifications;
mod components;
mod context;
mod navigation;
mod pages;
mod state;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
