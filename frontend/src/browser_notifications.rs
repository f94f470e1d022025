//! Browser notifications: each new action the live stream announces is shown as a system
//! notification while the app waits in a background tab, for a reviewer who turned them on.

use std::collections::HashSet;

use inbox_domain::{
    dto::{ActionChanged, ActionDetail},
    notices::NotificationPreferences,
    variables::{render, values, Escape, StandardFields},
    ActionStatus, Priority,
};
use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{Notification, NotificationOptions, NotificationPermission};

use crate::api;

/// What browser notifications need, provided as context: the reviewer's preferences (loaded at
/// sign-in, replaced when the Settings page saves), the actions the stream has announced, and
/// the action a clicked notification asks the inbox to open.
#[derive(Debug, Clone, Copy)]
pub struct BrowserNotifications {
    pub preferences: RwSignal<Option<NotificationPreferences>>,
    announced: StoredValue<HashSet<Uuid>>,
    /// Set by a click on a notification; the inbox opens it (see [`BrowserNotifications::open`]).
    pub open: RwSignal<Option<Uuid>>,
}

impl Default for BrowserNotifications {
    /// Nothing loaded, announced or asked for yet.
    fn default() -> BrowserNotifications {
        BrowserNotifications {
            preferences: RwSignal::new(None),
            announced: StoredValue::new(HashSet::new()),
            open: RwSignal::new(None),
        }
    }
}

/// Whether a change the stream announced is an action newly waiting for review: proposed (its
/// first version, pending) and not announced before.
pub fn is_new_for_review(change: &ActionChanged, announced_before: bool) -> bool {
    !announced_before && change.status == ActionStatus::Pending && change.version == 1
}

/// A notification's title and body for an action: how urgent, then what and for whom.
pub fn notification_text(detail: &ActionDetail, location_name: &str) -> (String, String) {
    let title = if detail.priority == Priority::Critical {
        "Critical action for review"
    } else {
        "New action for review"
    };
    let customer = &detail.customer;
    let filled = values(
        StandardFields {
            customer_name: &customer.full_name,
            company: customer.company.as_deref(),
            email: customer.email.as_deref(),
            phone: customer.phone.as_deref(),
            plan: customer.plan.as_deref(),
            location_name,
        },
        &detail.draft.variables,
    );
    let what = detail
        .draft
        .subject
        .as_deref()
        .filter(|subject| !subject.trim().is_empty())
        .map_or_else(
            || detail.trigger.summary.clone(),
            |subject| render(subject, &filled, Escape::None).text,
        );
    let body = format!("{what}\n{} · {}", customer.full_name, detail.agent.name);
    (title.to_owned(), body)
}

/// Whether this browser shows notifications from the app.
pub fn permission_granted() -> bool {
    is_supported() && Notification::permission() == NotificationPermission::Granted
}

/// Whether this browser has notifications at all.
pub fn is_supported() -> bool {
    web_sys::window().is_some_and(|window| {
        js_sys::Reflect::has(&window, &"Notification".into()).unwrap_or(false)
    })
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.hidden())
}

/// Asks the browser to allow notifications; `answered` is told whether it did.
pub fn request_permission(answered: impl FnOnce(bool) + 'static) {
    if !is_supported() {
        answered(false);
        return;
    }
    // The callback form frees its closure once called, which the promise form would not.
    let callback = Closure::once_into_js(move |permission: JsValue| {
        answered(permission.as_string().as_deref() == Some("granted"));
    });
    let _ = Notification::request_permission_with_permission_callback(callback.unchecked_ref());
}

impl BrowserNotifications {
    /// Loads the signed-in reviewer's preferences.
    pub fn load_preferences(&self) {
        let preferences = self.preferences;
        leptos::task::spawn_local(async move {
            if let Ok(loaded) = api::notification_preferences().await {
                preferences.set(Some(loaded));
            }
        });
    }

    /// Notes a change the stream announced and, when it is a new action waiting for review
    /// while the app is hidden and the reviewer wants to know, notifies them.
    pub fn announce(&self, change: &ActionChanged, location_name: &str) {
        let announced_before = !self
            .announced
            .try_update_value(|announced| announced.insert(change.id))
            .unwrap_or(false);
        let wanted = self
            .preferences
            .with_untracked(|preferences| preferences.is_some_and(|p| p.browser));
        if !is_new_for_review(change, announced_before)
            || !wanted
            || !page_hidden()
            || !permission_granted()
        {
            return;
        }
        leptos::task::spawn_local(notify(change.id, self.open, location_name.to_owned()));
    }
}

/// Loads action `id` and notifies the reviewer of it. Its code, with the reading of a whole
/// action, is a WASM chunk of its own (`just spa`), fetched with the first notification.
#[lazy]
async fn notify(id: Uuid, open: RwSignal<Option<Uuid>>, location_name: String) {
    if let Ok(detail) = api::action(id).await {
        let (title, body) = notification_text(&detail, &location_name);
        show(&title, &body, id, open);
    }
}

/// Shows a notification for action `id`; a click brings the app forward and opens the action.
fn show(title: &str, body: &str, id: Uuid, open: RwSignal<Option<Uuid>>) {
    let options = NotificationOptions::new();
    options.set_body(body);
    // One notification per action, however often it is announced.
    options.set_tag(&id.to_string());
    let Ok(notification) = Notification::new_with_options(title, &options) else {
        return;
    };
    let shown = notification.clone();
    // Freed once clicked; a notification never clicked keeps its small closure.
    let on_click = Closure::once_into_js(move || {
        if let Some(window) = web_sys::window() {
            let _ = window.focus();
        }
        shown.close();
        open.set(Some(id));
    });
    notification.set_onclick(Some(on_click.unchecked_ref()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(status: ActionStatus, version: i32) -> ActionChanged {
        ActionChanged {
            id: Uuid::from_u128(7),
            status,
            version,
        }
    }

    fn detail(priority: &str, subject: Option<&str>) -> ActionDetail {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::nil(), "status": "pending", "version": 1,
            "action_type": "draft_message", "channel": "email", "priority": priority,
            "confidence": 80, "confidence_factors": [],
            "trigger": {"summary": "Invoice #1234 is 5 days overdue."},
            "draft": {"subject": subject, "variables": {"invoice_number": "1234"}},
            "customer": {"id": Uuid::nil(), "full_name": "Zoë Adams", "customer_type": "member"},
            "agent": {"id": Uuid::nil(), "name": "Billing agent"},
            "created_at": "2026-12-04T09:00:00Z", "updated_at": "2026-12-04T09:00:00Z",
            "expires_at": "2026-12-05T09:00:00Z", "decisions": {}, "history": [],
            "customer_history": [], "earlier_actions": [], "outcomes": [], "responses": []
        }))
        .expect("an action")
    }

    #[test]
    fn a_notification_says_how_urgent_what_and_for_whom() {
        let (title, body) = notification_text(
            &detail(
                "critical",
                Some("Invoice #{{invoice_number}}, {{first_name}}"),
            ),
            "Demo Coworking",
        );
        assert_eq!(title, "Critical action for review");
        assert_eq!(body, "Invoice #1234, Zoë\nZoë Adams · Billing agent");
        let (title, body) = notification_text(&detail("high", None), "Demo Coworking");
        assert_eq!(title, "New action for review");
        assert_eq!(
            body, "Invoice #1234 is 5 days overdue.\nZoë Adams · Billing agent",
            "without a subject, why it was proposed"
        );
    }

    #[test]
    fn only_a_first_announcement_of_a_proposal_is_new() {
        assert!(is_new_for_review(&change(ActionStatus::Pending, 1), false));
        assert!(!is_new_for_review(&change(ActionStatus::Pending, 1), true));
        assert!(!is_new_for_review(&change(ActionStatus::Pending, 3), false));
        assert!(!is_new_for_review(
            &change(ActionStatus::AutoExecuted, 1),
            false
        ));
    }
}
