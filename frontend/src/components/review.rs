//! The review area of an action a reviewer can still decide: the draft (or its editor), Preview,
//! and the decision bar — Approve & Send (confirmed in a dialog), Edit, Reject and Snooze.

use inbox_domain::{
    dto::{ActionDetail, ApproveAction, Preview, PreviewDraft, RejectAction, SnoozeAction},
    safeguards::ReviewWarning,
    variables::escape_html,
    RejectionReason,
};
use leptos::{html, prelude::*};

use crate::{
    api,
    components::{
        decision::{Decide, Decision, Outcome},
        dialog::{focus_when_shown, trap_focus},
        draft_editor::{DraftEditor, DraftEdits},
        draft_view::DraftView,
        snooze_menu::{SnoozeFields, SnoozeMenu},
    },
    context::{Session, Shortcut, Shortcuts},
};

/// Which form of the review area is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Read,
    Edit,
    Reject,
    Snooze,
}

/// The preview as HTML, and a warning naming the variables nothing fills (empty when none).
fn preview_html(preview: Preview) -> (String, String) {
    let unknown = if preview.unknown_variables.is_empty() {
        String::new()
    } else {
        format!(
            "Fill in before sending: {}",
            preview.unknown_variables.join(", ")
        )
    };
    let html = match (preview.subject, preview.body_html, preview.script) {
        (_, None, Some(script)) => escape_html(&script),
        (subject, body, _) => format!(
            "<p class=\"preview-subject\">{}</p>{}",
            escape_html(&subject.unwrap_or_default()),
            body.unwrap_or_default()
        ),
    };
    (html, unknown)
}

#[component]
pub fn Review(
    detail: ActionDetail,
    /// Where a failed preview is reported, as a failed decision is.
    outcome: RwSignal<Option<Outcome>>,
    decide: Decide,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let mode = RwSignal::new(Mode::Read);
    let confirming = RwSignal::new(false);
    let (id, version) = (detail.id, detail.version);
    let editable = detail.status.is_editable();
    // Shown before the reviewer decides; the approval dialog is the confirmation they ask for.
    let warnings = StoredValue::new(detail.warnings.clone());
    let acknowledged = move || -> Vec<ReviewWarning> {
        warnings.with_value(|warnings| {
            warnings
                .iter()
                .filter(|notice| notice.warning.needs_confirmation())
                .map(|notice| notice.warning)
                .collect()
        })
    };

    let confirm_button: NodeRef<html::Button> = NodeRef::new();
    let cancel_button: NodeRef<html::Button> = NodeRef::new();
    focus_when_shown(confirm_button);

    let edits = DraftEdits::new(&detail);
    // The draft as the reviewer has it: edited in the editor, or as it stands.
    let draft = move || {
        if mode.get_untracked() == Mode::Edit {
            edits.draft()
        } else {
            PreviewDraft::default()
        }
    };
    let send = move |decision: Decision| {
        confirming.set(false);
        decide.dispatch(decision);
    };
    let approve = move || {
        let PreviewDraft {
            subject,
            body,
            script,
        } = draft();
        send(Decision::Approve(ApproveAction {
            expected_version: Some(version),
            subject,
            body,
            script,
            acknowledged: acknowledged(),
        }));
    };

    let preview = Action::new_local(move |draft: &PreviewDraft| {
        let (draft, csrf) = (draft.clone(), session.csrf.clone());
        async move { api::preview(id, &draft, &csrf).await }
    });
    Effect::new(move |_| {
        if let Some(Err(error)) = preview.value().get() {
            outcome.set(Some(Outcome::Failed(error)));
        }
    });
    // The last preview shown stays until another one succeeds.
    let shown_preview = Memo::new(move |shown: Option<&Option<(String, String)>>| {
        let latest = preview.value().get();
        match latest {
            Some(Ok(answer)) => Some(preview_html(answer)),
            _ => shown.cloned().flatten(),
        }
    });
    let show_preview = move |_| {
        preview.dispatch(draft());
    };

    let reason = RwSignal::new(RejectionReason::AlreadyResolved);
    let reject_note = RwSignal::new(String::new());
    let snooze_fields = SnoozeFields::default();
    let reject = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(Decision::Reject(RejectAction {
            expected_version: Some(version),
            reason: reason.get_untracked(),
            note: Some(reject_note.get_untracked()).filter(|n| !n.trim().is_empty()),
            acknowledged: Vec::new(),
        }));
    };
    // Keyboard commands from the inbox, each taken once.
    if let Some(Shortcuts(command)) = use_context::<Shortcuts>() {
        Effect::new(move |_| {
            let Some(shortcut) = command.get() else {
                return;
            };
            command.set(None);
            match shortcut {
                Shortcut::Approve => confirming.set(true),
                Shortcut::Edit if editable => mode.set(Mode::Edit),
                Shortcut::Edit => {}
                Shortcut::Reject => mode.set(Mode::Reject),
                Shortcut::Snooze => mode.set(Mode::Snooze),
                // `other` needs a note: the form opens with it chosen.
                Shortcut::RejectWith(RejectionReason::Other) => {
                    reason.set(RejectionReason::Other);
                    mode.set(Mode::Reject);
                }
                Shortcut::RejectWith(chosen) => send(Decision::Reject(RejectAction {
                    expected_version: Some(version),
                    reason: chosen,
                    note: None,
                    acknowledged: Vec::new(),
                })),
                Shortcut::SnoozeFor(duration) => send(Decision::Snooze(SnoozeAction {
                    expected_version: Some(version),
                    duration: Some(duration),
                    until: None,
                    note: None,
                    acknowledged: Vec::new(),
                })),
                Shortcut::Cancel => {
                    confirming.set(false);
                    mode.set(Mode::Read);
                }
            }
        });
    }
    let editor_detail = detail.clone();

    let warning_list = move || {
        warnings.with_value(|warnings| {
            (!warnings.is_empty()).then(|| {
                view! {
                    <ul class="warnings" aria-label="Before you approve">
                        {warnings.iter().map(|notice| view! { <li>{notice.detail.clone()}</li> }).collect_view()}
                    </ul>
                }
            })
        })
    };
    view! {
        {warning_list}
        <Show when=move || mode.get() != Mode::Edit fallback=move || view! { <DraftEditor detail=editor_detail.clone() edits/> }>
            <DraftView detail=detail.clone()/>
        </Show>
        {move || shown_preview.get().map(|(html, unknown)| view! {
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
                    {editable.then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| mode.set(Mode::Edit)>"Edit"</button>
                    })}
                    <button type="button" class="danger" on:click=move |_| mode.set(Mode::Reject)>"Reject"</button>
                    <button type="button" class="secondary" on:click=move |_| mode.set(Mode::Snooze)>"Snooze"</button>
                    <button type="button" class="link" on:click=show_preview>"Preview"</button>
                }.into_any(),
                Mode::Edit => view! {
                    <button type="button" class="primary" on:click=move |_| confirming.set(true)>"Save & Send"</button>
                    <button type="button" class="link" on:click=show_preview>"Preview"</button>
                    <button type="button" class="link" on:click=move |_| mode.set(Mode::Read)>"Cancel"</button>
                }.into_any(),
                Mode::Reject => view! {
                    <form class="inline-form" aria-label="Reject" on:submit=reject>
                        <label>"Reason"
                            <select prop:value=move || reason.get().as_str()
                                on:change=move |ev| if let Ok(r) = event_target_value(&ev).parse() { reason.set(r) }>
                                {RejectionReason::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>"Internal notes"
                            <textarea rows="2" prop:value=reject_note on:input=move |ev| reject_note.set(event_target_value(&ev))></textarea>
                        </label>
                        <button type="submit" class="danger">"Reject"</button>
                        <button type="button" class="link" on:click=move |_| mode.set(Mode::Read)>"Cancel"</button>
                    </form>
                }.into_any(),
                Mode::Snooze => view! {
                    <SnoozeMenu fields=snooze_fields version
                        on_snooze=move |request| send(Decision::Snooze(request))
                        on_cancel=move || mode.set(Mode::Read)/>
                }.into_any(),
            }}
        </div>
        <Show when=move || confirming.get()>
            <div class="modal-backdrop">
                <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title"
                    on:keydown=move |ev| trap_focus(&ev, cancel_button, confirm_button)>
                    <h2 id="confirm-title">"Send this action now?"</h2>
                    <p>"It goes to the customer as shown. You can undo it until it leaves."</p>
                    {warning_list}
                    <div class="modal-actions">
                        <button type="button" class="secondary" node_ref=cancel_button on:click=move |_| confirming.set(false)>"Cancel"</button>
                        <button type="button" class="primary" node_ref=confirm_button on:click=move |_| approve()>"Confirm & Send"</button>
                    </div>
                </div>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_shows_the_subject_escaped_and_warns_of_unfilled_variables() {
        let (html, unknown) = preview_html(Preview {
            subject: Some("Invoice <1234>".to_owned()),
            body_html: Some("<p>Hi Zoë</p>".to_owned()),
            body_text: None,
            script: None,
            unknown_variables: vec!["amount".to_owned()],
        });
        assert_eq!(
            html,
            "<p class=\"preview-subject\">Invoice &lt;1234&gt;</p><p>Hi Zoë</p>"
        );
        assert_eq!(unknown, "Fill in before sending: amount");
    }
}
