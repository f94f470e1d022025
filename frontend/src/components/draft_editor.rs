//! Edit & Approve's editor: a rich-text body (or a call's script) beside a variables sidebar
//! whose buttons insert a `{{variable}}` at the cursor.

use inbox_domain::{
    dto::{ActionDetail, PreviewDraft},
    ActionType,
};
use leptos::{html, prelude::*};
use wasm_bindgen::JsCast;

/// Variables every draft can use, besides the action's own.
const STANDARD_VARIABLES: [&str; 4] = ["customer_name", "first_name", "company", "location_name"];

/// The draft being edited, for the editor to fill and Preview or Approve to read.
#[derive(Debug, Clone, Copy)]
pub struct DraftEdits {
    is_call: bool,
    subject: RwSignal<String>,
    script: RwSignal<String>,
    body: NodeRef<html::Div>,
    script_box: NodeRef<html::Textarea>,
}

impl DraftEdits {
    /// Starts from the action's draft as it stands.
    pub fn new(detail: &ActionDetail) -> DraftEdits {
        DraftEdits {
            is_call: detail.action_type == ActionType::VoiceOutreach,
            subject: RwSignal::new(detail.draft.subject.clone().unwrap_or_default()),
            script: RwSignal::new(detail.draft.script.clone().unwrap_or_default()),
            body: NodeRef::new(),
            script_box: NodeRef::new(),
        }
    }

    /// The edited draft: the script of a call, or the subject and body of anything else.
    pub fn draft(&self) -> PreviewDraft {
        if self.is_call {
            PreviewDraft {
                script: Some(self.script.get_untracked()),
                ..PreviewDraft::default()
            }
        } else {
            PreviewDraft {
                subject: Some(self.subject.get_untracked()),
                body: Some(
                    self.body
                        .get_untracked()
                        .map(|e| e.inner_html())
                        .unwrap_or_default(),
                ),
                script: None,
            }
        }
    }

    /// Puts `{{name}}` where the cursor is.
    fn insert_variable(&self, name: &str) {
        let token = format!("{{{{{name}}}}}");
        if self.is_call {
            if let Some(area) = self.script_box.get_untracked() {
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
                self.script.set(next.clone());
                area.set_value(&next);
            }
        } else if let Some(editor) = self.body.get_untracked() {
            let _ = editor.focus();
            exec("insertText", &token);
        }
    }
}

#[component]
pub fn DraftEditor(detail: ActionDetail, edits: DraftEdits) -> impl IntoView {
    let DraftEdits {
        is_call,
        subject,
        script,
        body,
        script_box,
    } = edits;
    let original_body = detail.draft.body.clone().unwrap_or_default();
    let variables: Vec<String> = detail.draft.variables.keys().cloned().collect();
    view! {
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
                            aria-label="Body" node_ref=body inner_html=original_body></div>
                    }.into_any()
                }}
            </div>
            <aside class="variables-sidebar" aria-label="Variables">
                <h3>"Variables"</h3>
                <p class="muted">"Click to insert at the cursor."</p>
                {variables.into_iter().chain(STANDARD_VARIABLES.iter().map(|s| (*s).to_owned())).map(|name| {
                    let label = format!("{{{{{name}}}}}");
                    view! { <button type="button" class="variable" on:mousedown=move |ev| { ev.prevent_default(); edits.insert_variable(&name) }>{label}</button> }
                }).collect_view()}
            </aside>
        </div>
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
