//! What every use case that moves an action shares: loading it, explaining a conflict, and
//! turning a domain transition into the columns and history entries to write.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use inbox_domain::{
    dto::{ActionChanged, ActionDetail},
    review::{headline, Decision, DraftChanges},
    ActionStatus, EventKind, Lifecycle, LifecycleEvent, Transition,
};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use serde_json::json;
use uuid::Uuid;

use super::{Actor, Context, ServiceError};
use crate::db::{
    actions::{self, lifecycle_of, lifecycle_update, NewEvent, PreparedChange},
    entities::{
        action_events,
        actions::{ActiveModel, Model},
    },
};

/// Formatting survives; scripts, styles and event handlers do not. Cleaned until cleaning
/// changes nothing more: one pass can leave markup that parses differently the next time (a
/// link nested in a link once the element between them is dropped), and what is stored must be
/// what a later pass (the preview, the send) keeps. HTML that one pass leaves as it was is
/// already there, as a stored draft filled with plain values usually is: a bulk approval of 500
/// cleans each message once instead of twice.
pub fn sanitize_html(html: &str) -> String {
    let mut before = Cow::Borrowed(html);
    for _ in 0..4 {
        let clean = ammonia::clean(&before);
        if clean == before {
            return clean;
        }
        before = Cow::Owned(clean);
    }
    before.into_owned()
}

pub fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("No action {id} in this location."))
}

/// The action, or a 404 when the location has no such action.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    id: Uuid,
) -> Result<Model, ServiceError> {
    actions::find(db, location_id, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// A 409 that says where the action stands now.
pub fn conflict(row: &Model, now: DateTime<Utc>, detail: String) -> ServiceError {
    ServiceError::Conflict {
        detail,
        status: lifecycle_of(row).status_at(now),
        version: row.version,
    }
}

/// A 409 unless the caller saw the action's current version.
pub fn check_version(
    row: &Model,
    expected: Option<i32>,
    now: DateTime<Utc>,
    retry: &str,
) -> Result<(), ServiceError> {
    match expected {
        Some(expected) if expected != row.version => Err(conflict(
            row,
            now,
            format!(
                "The action is at version {}, not {expected}: someone else changed it. Reload it and {retry}.",
                row.version
            ),
        )),
        _ => Ok(()),
    }
}

/// The columns a transition changes, with the decision's details and any edit.
pub fn transition_change(
    row: &Model,
    transition: &Transition,
    decision: Option<&Decision>,
    edit: Option<&DraftChanges>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> PreparedChange {
    let version = row.version + 1;
    let mut update = lifecycle_update(&transition.next, version, now);
    if transition.event.is_review() && row.first_reviewed_at.is_none() {
        update.first_reviewed_at = Set(Some(now));
        update.review_time_seconds = Set(Some((now - row.created_at).num_seconds()));
    }
    let mut data = decision.map_or_else(|| json!({}), Decision::details);
    match (transition.event, decision) {
        (LifecycleEvent::Approve | LifecycleEvent::ApproveForLater { .. }, _) => {
            update.approved_at = Set(Some(now));
            update.approved_by = Set(Some(actor.0.clone()));
        }
        (LifecycleEvent::Reject, Some(Decision::Reject { reason, note })) => {
            update.rejected_at = Set(Some(now));
            update.rejected_by = Set(Some(actor.0.clone()));
            update.rejection_reason = Set(Some(*reason));
            update.rejection_note = Set(note.clone());
        }
        (LifecycleEvent::Snooze { .. }, Some(Decision::Snooze { note, .. })) => {
            update.snooze_note = Set(note.clone());
        }
        // Taken back: it no longer counts as approved.
        (LifecycleEvent::Undo, _) => {
            update.approved_at = Set(None);
            update.approved_by = Set(None);
        }
        (LifecycleEvent::AutoExecute, _) => update.auto_executed_at = Set(Some(now)),
        // When its window closed, even if the sweep came later.
        (LifecycleEvent::Expire, _) => update.expired_at = Set(Some(row.expires_at.min(now))),
        _ => {}
    }
    if let Some(changes) = edit {
        data["edit"] = edit_record(row, changes);
        set_draft(&mut update, row, changes);
    }
    let event = NewEvent {
        action: row,
        kind: transition.event.kind(),
        from: Some(transition.from),
        to: Some(transition.to),
        version,
        actor: &actor.0,
        at: now,
        data,
    };
    prepared(row, update, event.into_row(), transition.to)
}

/// A change that acts on the settled state: the timer transitions that got the action there
/// (due, but not yet swept) are recorded first, so the history holds every transition.
pub fn after_due_transitions(
    mut change: PreparedChange,
    row: &Model,
    lifecycle: &Lifecycle,
    now: DateTime<Utc>,
) -> PreparedChange {
    let due = lifecycle.due_transitions(now);
    if due.is_empty() {
        return change;
    }
    let mut version = row.version;
    let mut events: Vec<_> = due
        .iter()
        .map(|step| {
            version += 1;
            NewEvent {
                action: row,
                kind: step.event.kind(),
                from: Some(step.from),
                to: Some(step.to),
                version,
                actor: &Actor::system().0,
                at: now,
                data: json!({}),
            }
            .into_row()
        })
        .collect();
    version += 1;
    for event in &mut change.events {
        event.version = version;
    }
    events.append(&mut change.events);
    change.events = events;
    change.update.version = Set(version);
    change.change.version = version;
    change
}

/// The draft edit as an update of its own, recorded as `edited` (no status change).
pub fn edit_change(
    row: &Model,
    lifecycle: &Lifecycle,
    changes: &DraftChanges,
    actor: &Actor,
    now: DateTime<Utc>,
) -> PreparedChange {
    // An action whose timer fired before the sweep came (a snooze that ended) is stored as it
    // reads now, with the timer's transition recorded first, as a decision would do: the edit
    // itself changes no status.
    let settled = lifecycle.settled_at(now);
    let status = settled.status;
    let version = row.version + 1;
    let mut update = if settled == *lifecycle {
        ActiveModel {
            version: Set(version),
            updated_at: Set(now),
            ..Default::default()
        }
    } else {
        lifecycle_update(&settled, version, now)
    };
    set_draft(&mut update, row, changes);
    let event = NewEvent {
        action: row,
        kind: EventKind::Edited,
        from: Some(status),
        to: Some(status),
        version,
        actor: &actor.0,
        at: now,
        data: json!({ "edit": edit_record(row, changes) }),
    };
    after_due_transitions(
        prepared(row, update, event.into_row(), status),
        row,
        lifecycle,
        now,
    )
}

/// One change of `row` to `status`, recorded by `event` at the event's version.
fn prepared(
    row: &Model,
    update: ActiveModel,
    event: action_events::Model,
    status: ActionStatus,
) -> PreparedChange {
    PreparedChange {
        id: row.id,
        location_id: row.location_id,
        agent_id: row.agent_id,
        stored_status: row.status,
        expected_version: row.version,
        change: ActionChanged {
            id: row.id,
            status,
            version: event.version,
        },
        update,
        events: vec![event],
        delivery: None,
        cancels: None,
    }
}

/// Writes the draft fields that `changes` replaces, and the headline they imply.
fn set_draft(update: &mut ActiveModel, row: &Model, changes: &DraftChanges) {
    let subject = changes.subject.clone().or_else(|| row.subject.clone());
    let script = changes.script.clone().or_else(|| row.script.clone());
    update.headline = Set(headline(subject.as_deref(), script.as_deref()));
    if let Some(subject) = &changes.subject {
        update.subject = Set(Some(subject.trim().to_owned()));
    }
    if let Some(body) = &changes.body {
        update.body = Set(Some(body.clone()));
    }
    if let Some(script) = &changes.script {
        update.script = Set(Some(script.clone()));
    }
}

/// The edit as before/after, field by field, for the history.
fn edit_record(row: &Model, changes: &DraftChanges) -> serde_json::Value {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (field, old, new) in [
        ("subject", &row.subject, &changes.subject),
        ("body", &row.body, &changes.body),
        ("script", &row.script, &changes.script),
    ] {
        if let Some(new) = new {
            if old.as_ref() != Some(new) {
                before.insert(field.to_owned(), json!(old));
                after.insert(field.to_owned(), json!(new));
            }
        }
    }
    json!({ "before": before, "after": after })
}

/// Writes one action's change; a 409 with its current state when another writer got there first.
pub async fn write_one(
    ctx: &Context<'_>,
    change: &PreparedChange,
) -> Result<ActionDetail, ServiceError> {
    let (db, now) = (ctx.db, ctx.now);
    let claim = ctx.claim.map(|claim| (claim, Some(change.id)));
    if actions::write_changes(db, ctx.bus, &[change], claim).await? != [true] {
        let current = load(db, ctx.location.id, change.id).await?;
        return Err(conflict(
            &current,
            now,
            "Someone else changed this action first.".to_owned(),
        ));
    }
    Ok(actions::detail::get(db, ctx.location, change.id, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_stripped_but_formatting_stays() {
        let clean = sanitize_html(
            "<p onclick=\"x()\"><b>Hi</b> <a href=\"javascript:alert(1)\">there</a></p><script>bad()</script>",
        );
        assert!(clean.contains("<b>Hi</b>"));
        assert!(!clean.contains("onclick"));
        assert!(!clean.contains("javascript:"));
        assert!(!clean.contains("<script"));
    }

    /// Every tag of sanitised HTML: its name and attributes (values as written). Text `<` comes
    /// out escaped, so each `<` starts a tag.
    fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut found = Vec::new();
        let mut chars = html.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '<' {
                continue;
            }
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '>' {
                    break;
                }
                name.push(c.to_ascii_lowercase());
                chars.next();
            }
            let mut attributes = Vec::new();
            loop {
                while chars.peek().is_some_and(|c| c.is_whitespace() || *c == '/') {
                    chars.next();
                }
                match chars.peek() {
                    None => break,
                    Some('>') => {
                        chars.next();
                        break;
                    }
                    _ => {}
                }
                let mut attribute = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '=' || c == '>' || c.is_whitespace() {
                        break;
                    }
                    attribute.push(c.to_ascii_lowercase());
                    chars.next();
                }
                let mut value = String::new();
                if chars.peek() == Some(&'=') {
                    chars.next();
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        for c in chars.by_ref() {
                            if c == '"' {
                                break;
                            }
                            value.push(c);
                        }
                    } else {
                        while let Some(&c) = chars.peek() {
                            if c.is_whitespace() || c == '>' {
                                break;
                            }
                            value.push(c);
                            chars.next();
                        }
                    }
                }
                attributes.push((attribute, value));
            }
            found.push((name.trim_start_matches('/').to_owned(), attributes));
        }
        found
    }

    /// What attackers send (and what reviewers write), to be mixed at random.
    const CORPUS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">",
        "<a href=\"java&#x09;script:alert(1)\">t</a>",
        "<a href=\" javascript:alert(1)\">",
        "<a href=\"vbscript:msgbox(1)\">",
        "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">",
        "<svg onload=alert(1)>",
        "<iframe src=\"data:text/html,<script>alert(1)</script>\">",
        "<p style=\"background:url(javascript:alert(1))\">",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "\"><script>alert(1)</script>",
        "<object data=\"javascript:alert(1)\">",
        "<form action=\"javascript:alert(1)\"><button formaction=\"javascript:x\">x</button></form>",
        "<base href=\"javascript:/\">",
        "<div onmouseover=\"x\">",
        "<scr<script>ipt>alert(1)</script>",
        "<!-- <script> -->",
        "<![CDATA[<script>]]>",
        "<a href=\"https://ok.example\">ok</a>",
        "<img src=\"https://ok.example/x.png\" alt=\"x\">",
        "<table><tr><td>cell",
        "<b>", "</b>", "<p>", "</p>", "<br>",
        "{{first_name}}",
        "text & more < less",
        "javascript:alert(1)",
        "\u{202e}",
    ];

    proptest::proptest! {
        #[test]
        fn sanitised_html_is_inert_and_sanitising_again_changes_nothing(
            parts in proptest::collection::vec(proptest::sample::select(CORPUS), 1..12),
        ) {
            let clean = sanitize_html(&parts.concat());
            proptest::prop_assert_eq!(sanitize_html(&clean), clean.clone(), "idempotent");
            for (name, attributes) in tags(&clean) {
                proptest::prop_assert!(
                    !["script", "style", "iframe", "object", "embed", "svg", "math", "form", "button", "base", "noscript"].contains(&name.as_str()),
                    "<{}> in {}", name, clean
                );
                for (attribute, value) in attributes {
                    proptest::prop_assert!(!attribute.starts_with("on"), "{} in {}", attribute, clean);
                    proptest::prop_assert!(attribute != "style", "style in {}", clean);
                    let url: String = value
                        .chars()
                        .filter(|c| !c.is_whitespace() && !c.is_control())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    for scheme in ["javascript:", "vbscript:", "data:"] {
                        proptest::prop_assert!(!url.starts_with(scheme), "{}={} in {}", attribute, value, clean);
                    }
                }
            }
        }
    }
}
