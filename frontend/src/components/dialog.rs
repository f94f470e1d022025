//! What every modal dialog does: take the focus when it opens and keep it inside.

use leptos::{html, prelude::*};

/// Focuses `button` whenever it appears (a dialog's default control).
pub fn focus_when_shown(button: NodeRef<html::Button>) {
    Effect::new(move |_| {
        if let Some(button) = button.get() {
            let _ = button.focus();
        }
    });
}

/// Keeps Tab and Shift+Tab inside a dialog whose first and last focusable controls are given.
pub fn trap_focus(
    event: &leptos::ev::KeyboardEvent,
    first: NodeRef<html::Button>,
    last: NodeRef<html::Button>,
) {
    if event.key() != "Tab" {
        return;
    }
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let is = |node: NodeRef<html::Button>| {
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
