//! The list of keyboard shortcuts (`?`).

use leptos::{html, prelude::*};

use crate::components::dialog::{focus_when_shown, trap_focus};

/// Each shortcut and what it does.
const SHORTCUTS: [(&str, &str); 12] = [
    ("j / k", "Move down / up the list"),
    ("Enter", "Open the action"),
    ("x", "Select or unselect the action"),
    ("a", "Approve & Send the open action"),
    ("e", "Edit the open action"),
    ("r", "Reject the open action"),
    ("s", "Snooze the open action"),
    (
        "r then 1–6",
        "Reject at once: already resolved, poor timing, incorrect information, not appropriate, prefer manual handling, other (asks for a note)",
    ),
    (
        "s then 1–5",
        "Snooze at once for 1 hour, 4 hours, 1 day, 3 days, or until the next business morning",
    ),
    ("z", "Undo the last send while its toast shows"),
    ("Esc", "Close a form or dialog"),
    ("?", "Show or hide this help"),
];

#[component]
pub fn KeyboardHelp(on_close: impl Fn() + Clone + 'static) -> impl IntoView {
    let close_button: NodeRef<html::Button> = NodeRef::new();
    focus_when_shown(close_button);
    let close = on_close.clone();
    view! {
        <div class="modal-backdrop" on:keydown=move |ev| if ev.key() == "Escape" { close() }>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="keys-title"
                on:keydown=move |ev| trap_focus(&ev, close_button, close_button)>
                <h2 id="keys-title">"Keyboard shortcuts"</h2>
                <dl class="fields">
                    {SHORTCUTS.into_iter().map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> }).collect_view()}
                </dl>
                <p class="muted">"After a decision the next action in the list opens."</p>
                <div class="modal-actions">
                    <button type="button" class="primary" node_ref=close_button on:click=move |_| on_close()>"Close"</button>
                </div>
            </div>
        </div>
    }
}
