//! The detail panel: Context & History on the left, the Message Draft on the right, and the four
//! ways to respond: Approve & Send, Edit & Approve, Reject, Snooze.

use chrono::{NaiveDateTime, Utc};
use inbox_domain::{
    display::time_ago,
    dto::{ActionDetail, HistoryKind, PreviewDraft},
    ActionStatus, ActionType, Channel, RejectionReason, SnoozeDuration,
};
use leptos::{html, prelude::*};
use serde_json::json;
use wasm_bindgen::JsCast;

use crate::{
    api::{self, ApiError},
    app::{trap_focus, ErrorNotice, Live, Session},
    inbox::{go, Shortcut, Shortcuts},
    state::InboxView,
};

#[component]
pub fn DetailPanel(id: String, view: Memo<InboxView>) -> impl IntoView {
    let live = expect_context::<Live>();
    // Outlives the reloads a decision triggers, so its message stays on screen.
    let outcome = RwSignal::new(None::<Outcome>);
    let detail = LocalResource::new(move || {
        live.changes.track();
        api::action(id.clone())
    });
    let close = move |_| {
        go(&InboxView {
            open: None,
            ..view.get_untracked()
        })
    };
    view! {
        <aside class="detail" aria-label="Action detail">
            <button type="button" class="close" aria-label="Close the detail panel" on:click=close>"×"</button>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the action…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <Detail detail outcome/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </aside>
    }
}

/// What happened to the reviewer's last attempt.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Done(String),
    Failed(ApiError),
}

#[component]
fn Detail(detail: ActionDetail, outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    let reviewable = matches!(detail.status, ActionStatus::Pending | ActionStatus::Snoozed);
    let detail = StoredValue::new(detail);
    view! {
        <div class="split">
            <section class="context" aria-labelledby="context-title">
                <h2 id="context-title">"Context & History"</h2>
                <Context detail=detail.get_value()/>
            </section>
            <section class="draft" aria-labelledby="draft-title">
                <h2 id="draft-title">"Message Draft"</h2>
                {move || outcome.get().map(|outcome| match outcome {
                    Outcome::Done(message) => view! { <p class="notice" role="status">{message}</p> }.into_any(),
                    Outcome::Failed(error) if error.status == 409 => view! {
                        <p class="error" role="alert">
                            {format!(
                                "Someone else got here first: this action is now {}. The panel shows where it stands. ({})",
                                error.current_status.map_or("changed", |s| s.label()),
                                error.message
                            )}
                        </p>
                    }.into_any(),
                    Outcome::Failed(error) => view! { <ErrorNotice error/> }.into_any(),
                })}
                {if reviewable {
                    view! { <Review detail=detail.get_value() outcome/> }.into_any()
                } else {
                    view! { <DraftView detail=detail.get_value()/><History detail=detail.get_value()/> }.into_any()
                }}
            </section>
        </div>
    }
}

#[component]
fn Context(detail: ActionDetail) -> impl IntoView {
    let customer = detail.customer.clone();
    let factors = detail.confidence_factors.clone();
    let data: Vec<(String, String)> = detail
        .trigger
        .data
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    (
                        k.replace('_', " "),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let now = Utc::now();
    let kinds = [
        (HistoryKind::Activity, "Recent activity"),
        (HistoryKind::Communication, "Communications"),
        (HistoryKind::Payment, "Payments"),
        (HistoryKind::Ticket, "Support tickets"),
    ];
    view! {
        <div class="customer-card">
            {customer.photo_url.clone().map(|src| view! { <img class="avatar" src=src alt=format!("Photo of {}", customer.full_name)/> })}
            <div>
                <h3>{customer.full_name.clone()}</h3>
                <p class="muted">
                    {[customer.company.clone(), Some(customer.customer_type.label().to_owned()), customer.plan.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" • ")}
                </p>
                <a href=format!("/customers/{}", customer.id)>"View full profile"</a>
            </div>
        </div>
        <h3>"Why this was proposed"</h3>
        <p><strong>{detail.agent.name.clone()}</strong></p>
        <p class="trigger">{detail.trigger.summary.clone()}</p>
        <dl class="facts">
            {data.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
        </dl>
        <h3>"Confidence score"</h3>
        <p class="confidence"><strong>{detail.confidence.to_string()}</strong></p>
        <ul class="factors">
            {factors.into_iter().map(|f| view! {
                <li>{f.label}<span class="impact">{format!("{:+}", f.impact)}</span></li>
            }).collect_view()}
        </ul>
        <h3>"Customer history"</h3>
        {kinds.into_iter().map(|(kind, title)| {
            let entries: Vec<_> = detail.customer_history.iter().filter(|e| e.kind == kind).cloned().collect();
            (!entries.is_empty()).then(|| view! {
                <h4>{title}</h4>
                <ul class="history">
                    {entries.into_iter().map(|e| view! { <li>{e.summary}<span class="muted">{format!(" · {}", time_ago(e.occurred_at, now))}</span></li> }).collect_view()}
                </ul>
            })
        }).collect_view()}
        <h4>"Previous proactive actions"</h4>
        {if detail.earlier_actions.is_empty() {
            view! { <p class="muted">"None before this one."</p> }.into_any()
        } else {
            view! {
                <ul class="history">
                    {detail.earlier_actions.iter().map(|a| view! {
                        <li>{a.subject.clone()}<span class="muted">{format!(" · {} · {}", a.status.label(), time_ago(a.created_at, now))}</span></li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// The draft as it stands, for email, voice, notes and tasks.
#[component]
fn DraftView(detail: ActionDetail) -> impl IntoView {
    let draft = detail.draft.clone();
    let variables: Vec<(String, String)> = draft.variables.clone().into_iter().collect();
    let fields = match detail.channel {
        Some(Channel::Voice) => view! {
            <dl class="fields">
                <dt>"To"</dt><dd>{draft.to.clone().unwrap_or_default()}</dd>
                <dt>"Script"</dt><dd class="script">{draft.script.clone().unwrap_or_default()}</dd>
                <dt>"Tone"</dt><dd>{draft.tone.map_or("—", |t| t.label())}</dd>
                <dt>"Duration"</dt><dd>{draft.estimated_duration_seconds.map_or_else(|| "—".to_owned(), |s| format!("about {} min {} s", s / 60, s % 60))}</dd>
            </dl>
        }
        .into_any(),
        _ => view! {
            <dl class="fields">
                {draft.to.clone().map(|to| view! { <dt>"To"</dt><dd>{to}</dd> })}
                {draft.from.clone().map(|from| view! { <dt>"From"</dt><dd>{from}</dd> })}
                <dt>"Subject"</dt><dd>{draft.subject.clone().unwrap_or_default()}</dd>
                <dt>"Body"</dt><dd class="body" inner_html=draft.body.clone().unwrap_or_default()></dd>
                {draft.signature.clone().map(|s| view! { <dt>"Signature"</dt><dd class="signature">{s}</dd> })}
            </dl>
        }
        .into_any(),
    };
    view! {
        {fields}
        {(!variables.is_empty()).then(|| view! {
            <h3>"Variables"</h3>
            <dl class="variables">
                {variables.into_iter().map(|(k, v)| view! { <dt>{format!("{{{{{k}}}}}")}</dt><dd>{v}</dd> }).collect_view()}
            </dl>
        })}
    }
}

/// What was sent or why it was rejected, when, and what followed.
#[component]
fn History(detail: ActionDetail) -> impl IntoView {
    let decisions = detail.decisions.clone();
    let now = Utc::now();
    let summary = match detail.status {
        ActionStatus::Approved | ActionStatus::AutoExecuted => decisions
            .approved_at
            .or(decisions.auto_executed_at)
            .map(|at| format!("Sent {}.", time_ago(at, now))),
        ActionStatus::Rejected => Some(format!(
            "Rejected {}: {}{}",
            decisions
                .rejected_at
                .map(|at| time_ago(at, now))
                .unwrap_or_default(),
            decisions
                .rejection_reason
                .map_or("no reason", |r| r.label()),
            decisions
                .rejection_note
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        )),
        ActionStatus::Expired => Some("Expired before anyone decided.".to_owned()),
        _ => None,
    };
    view! {
        <h3>"Action history"</h3>
        {summary.map(|s| view! { <p class="decision">{s}</p> })}
        {detail.outcomes.iter().map(|o| view! {
            <p class="outcome">{format!("Outcome: {} ({})", serde_json::to_value(o.kind).ok().and_then(|v| v.as_str().map(|s| s.replace('_', " "))).unwrap_or_default(), time_ago(o.occurred_at, now))}</p>
        }).collect_view()}
        {detail.responses.iter().map(|r| view! {
            <blockquote class="response">{format!("“{}” — {}", r.excerpt, time_ago(r.received_at, now))}</blockquote>
        }).collect_view()}
        <ol class="events">
            {detail.history.iter().map(|e| view! {
                <li>{format!("{} · {} · {}", e.kind.replace('_', " "), e.actor, time_ago(e.occurred_at, now))}</li>
            }).collect_view()}
        </ol>
    }
}

/// Which form of the review area is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    Edit,
    Reject,
    Snooze,
}

#[component]
fn Review(detail: ActionDetail, outcome: RwSignal<Option<Outcome>>) -> impl IntoView {
    let session = expect_context::<Session>();
    let live = expect_context::<Live>();
    let mode = RwSignal::new(Mode::Read);
    let confirming = RwSignal::new(false);
    let preview_html = RwSignal::new(None::<(String, String)>);
    let id = detail.id.to_string();
    let version = detail.version;
    let is_call = detail.action_type == ActionType::VoiceOutreach;

    // Keyboard commands from the inbox, each taken once.
    if let Some(Shortcuts(command)) = use_context::<Shortcuts>() {
        Effect::new(move |_| {
            let Some(shortcut) = command.get() else {
                return;
            };
            command.set(None);
            match shortcut {
                Shortcut::Approve => confirming.set(true),
                Shortcut::Edit => mode.set(Mode::Edit),
                Shortcut::Reject => mode.set(Mode::Reject),
                Shortcut::Snooze => mode.set(Mode::Snooze),
                Shortcut::Cancel => {
                    confirming.set(false);
                    mode.set(Mode::Read);
                }
            }
        });
    }
    // A dialog takes the focus when it opens.
    let confirm_button: NodeRef<html::Button> = NodeRef::new();
    let cancel_button: NodeRef<html::Button> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(button) = confirm_button.get() {
            let _ = button.focus();
        }
    });
    let subject = RwSignal::new(detail.draft.subject.clone().unwrap_or_default());
    let script = RwSignal::new(detail.draft.script.clone().unwrap_or_default());
    let editor: NodeRef<html::Div> = NodeRef::new();
    let script_box: NodeRef<html::Textarea> = NodeRef::new();
    let original_body = detail.draft.body.clone().unwrap_or_default();

    let edited = move || -> serde_json::Value {
        if mode.get_untracked() != Mode::Edit {
            return json!({ "expected_version": version });
        }
        if is_call {
            json!({ "expected_version": version, "script": script.get_untracked() })
        } else {
            let body = editor
                .get_untracked()
                .map(|e| e.inner_html())
                .unwrap_or_default();
            json!({ "expected_version": version, "subject": subject.get_untracked(), "body": body })
        }
    };
    let send = {
        let (id, csrf) = (id.clone(), session.csrf.clone());
        move |verb: &'static str, body: serde_json::Value, done: String| {
            let (id, csrf) = (id.clone(), csrf.clone());
            confirming.set(false);
            leptos::task::spawn_local(async move {
                match api::review(id, verb, body, csrf).await {
                    Ok(_) => {
                        outcome.set(Some(Outcome::Done(done)));
                        live.changes.update(|n| *n += 1);
                    }
                    Err(error) => {
                        let conflict = error.status == 409;
                        outcome.set(Some(Outcome::Failed(error)));
                        if conflict {
                            live.changes.update(|n| *n += 1);
                        }
                    }
                }
            });
        }
    };
    let preview = {
        let (id, csrf) = (id.clone(), session.csrf.clone());
        move |_| {
            let value = edited();
            let draft = PreviewDraft {
                subject: value["subject"].as_str().map(str::to_owned),
                body: value["body"].as_str().map(str::to_owned),
                script: value["script"].as_str().map(str::to_owned),
            };
            let (id, csrf) = (id.clone(), csrf.clone());
            leptos::task::spawn_local(async move {
                match api::preview(id, draft, csrf).await {
                    Ok(p) => {
                        let unknown = if p.unknown_variables.is_empty() {
                            String::new()
                        } else {
                            format!("Fill in before sending: {}", p.unknown_variables.join(", "))
                        };
                        let html = match (p.subject, p.body_html, p.script) {
                            (_, None, Some(script)) => {
                                inbox_domain::variables::escape_html(&script)
                            }
                            (subject, body, _) => format!(
                                "<p class=\"preview-subject\">{}</p>{}",
                                inbox_domain::variables::escape_html(&subject.unwrap_or_default()),
                                body.unwrap_or_default()
                            ),
                        };
                        preview_html.set(Some((html, unknown)));
                    }
                    Err(error) => outcome.set(Some(Outcome::Failed(error))),
                }
            });
        }
    };
    let insert_variable = move |name: String| {
        let token = format!("{{{{{name}}}}}");
        if is_call {
            if let Some(area) = script_box.get_untracked() {
                let value = area.value();
                let at = area
                    .selection_start()
                    .ok()
                    .flatten()
                    .unwrap_or(value.len() as u32) as usize;
                let at = value
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([value.len()])
                    .find(|i| *i >= at)
                    .unwrap_or(value.len());
                let next = format!("{}{token}{}", &value[..at], &value[at..]);
                script.set(next.clone());
                area.set_value(&next);
            }
        } else if let Some(editor) = editor.get_untracked() {
            let _ = editor.focus();
            exec("insertText", &token);
        }
    };
    let variables: Vec<String> = detail.draft.variables.keys().cloned().collect();
    let standard = ["customer_name", "first_name", "company", "location_name"];

    let send_approve = send.clone();
    let send_reject = send.clone();
    let send_snooze = send.clone();
    let reason = RwSignal::new(RejectionReason::AlreadyResolved.as_str().to_owned());
    let reject_note = RwSignal::new(String::new());
    let snooze_note = RwSignal::new(String::new());
    let snooze_until = RwSignal::new(String::new());
    let snooze = move |duration: Option<SnoozeDuration>| {
        let mut body = json!({ "expected_version": version, "note": Some(snooze_note.get_untracked()).filter(|n| !n.trim().is_empty()) });
        match duration {
            Some(d) => body["duration"] = json!(d),
            None => {
                // The browser's datetime-local is local time; the API wants an instant.
                let Ok(local) =
                    NaiveDateTime::parse_from_str(&snooze_until.get_untracked(), "%Y-%m-%dT%H:%M")
                else {
                    return;
                };
                let offset_minutes = js_sys::Date::new_0().get_timezone_offset() as i64;
                body["until"] =
                    json!((local + chrono::Duration::minutes(offset_minutes)).and_utc());
            }
        }
        send_snooze("snooze", body, "Snoozed.".to_owned());
    };
    let snooze_custom = snooze.clone();

    view! {
        <Show when=move || mode.get() != Mode::Edit fallback=move || view! {
            <div class="editor-layout">
                <div class="editor">
                    {if is_call {
                        view! {
                            <label for="script-editor">"Script"</label>
                            <textarea id="script-editor" node_ref=script_box rows="8"
                                prop:value=script on:input=move |ev| script.set(event_target_value(&ev))></textarea>
                        }.into_any()
                    } else {
                        view! {
                            <label for="subject-editor">"Subject"</label>
                            <input id="subject-editor" prop:value=subject on:input=move |ev| subject.set(event_target_value(&ev))/>
                            <div class="toolbar" role="toolbar" aria-label="Formatting">
                                <button type="button" aria-label="Bold" on:mousedown=|ev| { ev.prevent_default(); exec("bold", "") }><b>"B"</b></button>
                                <button type="button" aria-label="Italic" on:mousedown=|ev| { ev.prevent_default(); exec("italic", "") }><i>"I"</i></button>
                                <button type="button" aria-label="Bulleted list" on:mousedown=|ev| { ev.prevent_default(); exec("insertUnorderedList", "") }>"• List"</button>
                                <button type="button" aria-label="Link" on:mousedown=|ev| {
                                    ev.prevent_default();
                                    if let Some(url) = web_sys::window().and_then(|w| w.prompt_with_message("Link address").ok().flatten()) {
                                        exec("createLink", &url);
                                    }
                                }>"Link"</button>
                            </div>
                            <div id="body-editor" class="rich-editor" contenteditable="true" role="textbox" aria-multiline="true"
                                aria-label="Body" node_ref=editor inner_html=original_body.clone()></div>
                        }.into_any()
                    }}
                </div>
                <aside class="variables-sidebar" aria-label="Variables">
                    <h3>"Variables"</h3>
                    <p class="muted">"Click to insert at the cursor."</p>
                    {variables.iter().cloned().chain(standard.iter().map(|s| (*s).to_owned())).map(|name| {
                        let label = format!("{{{{{name}}}}}");
                        view! { <button type="button" class="variable" on:mousedown=move |ev| { ev.prevent_default(); insert_variable(name.clone()) }>{label}</button> }
                    }).collect_view()}
                </aside>
            </div>
        }>
            <DraftView detail=detail.clone()/>
        </Show>
        {move || preview_html.get().map(|(html, unknown)| view! {
            <section class="preview" aria-label="Preview">
                <h3>"Preview"</h3>
                {(!unknown.is_empty()).then(|| view! { <p class="warning">{unknown.clone()}</p> })}
                <div class="preview-body" inner_html=html></div>
            </section>
        })}
        <div class="decision-bar">
            {move || match mode.get() {
                Mode::Read => view! {
                    <button type="button" class="primary" on:click=move |_| confirming.set(true)>"Approve & Send"</button>
                    <button type="button" class="secondary" on:click=move |_| mode.set(Mode::Edit)>"Edit"</button>
                    <button type="button" class="danger" on:click=move |_| mode.set(Mode::Reject)>"Reject"</button>
                    <button type="button" class="secondary" on:click=move |_| mode.set(Mode::Snooze)>"Snooze"</button>
                    <button type="button" class="link" on:click=preview.clone()>"Preview"</button>
                }.into_any(),
                Mode::Edit => view! {
                    <button type="button" class="primary" on:click=move |_| confirming.set(true)>"Save & Send"</button>
                    <button type="button" class="link" on:click=preview.clone()>"Preview"</button>
                    <button type="button" class="link" on:click=move |_| mode.set(Mode::Read)>"Cancel"</button>
                }.into_any(),
                Mode::Reject => {
                    let send = send_reject.clone();
                    view! {
                        <form class="inline-form" aria-label="Reject" on:submit=move |ev| {
                            ev.prevent_default();
                            let note = Some(reject_note.get_untracked()).filter(|n| !n.trim().is_empty());
                            send("reject", json!({"expected_version": version, "reason": reason.get_untracked(), "note": note}), "Rejected.".to_owned());
                        }>
                            <label>"Reason"
                                <select prop:value=reason on:change=move |ev| reason.set(event_target_value(&ev))>
                                    {RejectionReason::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                                </select>
                            </label>
                            <label>"Internal notes"
                                <textarea rows="2" prop:value=reject_note on:input=move |ev| reject_note.set(event_target_value(&ev))></textarea>
                            </label>
                            <button type="submit" class="danger">"Reject"</button>
                            <button type="button" class="link" on:click=move |_| mode.set(Mode::Read)>"Cancel"</button>
                        </form>
                    }.into_any()
                }
                Mode::Snooze => {
                    let snooze = snooze.clone();
                    let snooze_custom = snooze_custom.clone();
                    view! {
                        <form class="inline-form" aria-label="Snooze" on:submit=move |ev| { ev.prevent_default(); snooze_custom(None) }>
                            {SnoozeDuration::ALL.iter().map(|d| {
                                let (d, snooze) = (*d, snooze.clone());
                                view! { <button type="button" class="secondary" on:click=move |_| snooze(Some(d))>{d.label()}</button> }
                            }).collect_view()}
                            <label>"Custom date and time"
                                <input type="datetime-local" prop:value=snooze_until on:input=move |ev| snooze_until.set(event_target_value(&ev))/>
                            </label>
                            <label>"Reminder note"
                                <input prop:value=snooze_note on:input=move |ev| snooze_note.set(event_target_value(&ev))/>
                            </label>
                            <button type="submit" class="secondary">"Snooze"</button>
                            <button type="button" class="link" on:click=move |_| mode.set(Mode::Read)>"Cancel"</button>
                        </form>
                    }.into_any()
                }
            }}
        </div>
        <Show when=move || confirming.get()>
            <div class="modal-backdrop">
                <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title"
                    on:keydown=move |ev| trap_focus(&ev, cancel_button, confirm_button)>
                    <h2 id="confirm-title">"Send this action now?"</h2>
                    <p>"It goes to the customer as shown. This cannot be undone."</p>
                    <div class="modal-actions">
                        <button type="button" class="secondary" node_ref=cancel_button on:click=move |_| confirming.set(false)>"Cancel"</button>
                        <button type="button" class="primary" node_ref=confirm_button on:click={
                            let send = send_approve.clone();
                            move |_| send("approve", edited(), "Approved and sent.".to_owned())
                        }>"Confirm & Send"</button>
                    </div>
                </div>
            </div>
        </Show>
    }
}

/// Runs a rich-text editing command on the focused editor.
fn exec(command: &str, value: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        if let Ok(document) = document.dyn_into::<web_sys::HtmlDocument>() {
            let _ = document.exec_command_with_show_ui_and_value(command, false, value);
        }
    }
}
