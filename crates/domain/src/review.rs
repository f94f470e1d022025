//! The rules of proposing and reviewing, as pure functions over the request bodies: what a valid
//! proposal is, what each review verb needs, and which agent may act alone.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    dto::{
        ApproveAction, EditDraft, PreviewDraft, ProposeAction, RejectAction, SnoozeAction, Trigger,
    },
    lifecycle::{Lifecycle, LifecycleEvent, ProposalTimingError},
    problem::{FieldError, FieldErrors},
    variables, ActionType, Channel, Confidence, ConfidenceFactor, Priority, RejectionReason, Tone,
};

/// The most ids one bulk request may hold.
pub const MAX_BULK_IDS: usize = 500;
const MAX_SUBJECT_CHARS: usize = 500;
const MAX_BODY_CHARS: usize = 100_000;
const MAX_NOTE_CHARS: usize = 2_000;
const MAX_EXTERNAL_ID_CHARS: usize = 200;
const MAX_VARIABLES: usize = 100;
const MAX_VARIABLE_NAME_CHARS: usize = 64;
const MAX_VARIABLE_VALUE_CHARS: usize = 10_000;
const MAX_CONFIDENCE_FACTORS: usize = 20;
const MAX_FACTOR_LABEL_CHARS: usize = 200;
/// The list shows at most this much of a subject or a script's opening sentence.
pub const MAX_HEADLINE_CHARS: usize = 200;
/// The largest free-form JSON object (a trigger's or an outcome's `data`), in bytes as JSON.
pub const MAX_DATA_BYTES: usize = 16_384;
/// The largest draft once its variables are filled: what a customer can be sent.
pub const MAX_FILLED_BYTES: usize = 1_000_000;
/// How deeply a body's markup may nest. Parsing HTML costs time in proportion to the square of
/// its depth (20,000 nested `<div>` take seconds); real emails stay far below this.
pub const MAX_MARKUP_DEPTH: usize = 256;

/// How deeply `html` nests, estimated in one pass over its tags: each opening tag goes one level
/// down and each closing tag one up, except void elements (`<br>`, `<img>`, …) and
/// self-closing ones. Unclosed tags count as open, so the estimate never falls short.
pub fn markup_depth(html: &str) -> usize {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let (mut depth, mut deepest) = (0_usize, 0_usize);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let name_start = usize::from(closing);
        let name: String = rest[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
            continue;
        }
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let self_closing = rest[..tag_end].ends_with('/');
        if !self_closing && !VOID.contains(&name.as_str()) {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// The limits of an HTML body as it arrives, checked before anything parses it: the sanitiser's
/// work grows with its length and depth.
pub fn check_body_bounds(body: Option<&str>) -> Result<(), Vec<FieldError>> {
    let mut issues = FieldErrors::default();
    issues.check_len("body", body, MAX_BODY_CHARS);
    if issues.is_empty() {
        issues.check_markup_depth("body", body);
    }
    issues.finish(())
}

impl FieldErrors {
    /// HTML no deeper than [`MAX_MARKUP_DEPTH`].
    fn check_markup_depth(&mut self, field: &str, html: Option<&str>) {
        if html.is_some_and(|html| markup_depth(html) > MAX_MARKUP_DEPTH) {
            self.add(
                field,
                format!("nests its markup more than {MAX_MARKUP_DEPTH} levels deep"),
            );
        }
    }
}

/// The longest `precondition_url` accepted.
pub const MAX_PRECONDITION_URL_CHARS: usize = 2000;

/// A proposal that passed every rule that needs no stored data.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidProposal {
    pub action_type: ActionType,
    pub channel: Option<Channel>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub script: Option<String>,
    pub tone: Option<Tone>,
    pub estimated_duration_seconds: Option<i32>,
    pub confidence: Confidence,
    pub confidence_factors: Vec<ConfidenceFactor>,
    pub priority: Priority,
    pub trigger: Trigger,
    pub variables: BTreeMap<String, String>,
    pub external_id: Option<String>,
    pub precondition_url: Option<String>,
}

impl ValidProposal {
    /// What the list shows: the subject, or the script's first sentence.
    pub fn headline(&self) -> String {
        headline(self.subject.as_deref(), self.script.as_deref())
    }
}

/// The subject, or else the script's opening sentence; at most [`MAX_HEADLINE_CHARS`], cut
/// with an ellipsis (a script may be one 100,000-character sentence, and every list page
/// carries its headline).
pub fn headline(subject: Option<&str>, script: Option<&str>) -> String {
    let whole = match (subject, script) {
        (Some(subject), _) if !subject.trim().is_empty() => subject.trim(),
        (_, Some(script)) => script
            .split_inclusive(['.', '?', '!'])
            .next()
            .unwrap_or(script)
            .trim(),
        _ => "",
    };
    match whole.char_indices().nth(MAX_HEADLINE_CHARS) {
        None => whole.to_owned(),
        Some(_) => {
            let cut = whole
                .char_indices()
                .nth(MAX_HEADLINE_CHARS - 1)
                .map_or(whole.len(), |(at, _)| at);
            format!("{}…", whole[..cut].trim_end())
        }
    }
}

/// Checks a proposal's own fields.
pub fn validate_proposal(request: &ProposeAction) -> Result<ValidProposal, Vec<FieldError>> {
    let mut issues = FieldErrors::default();
    let confidence = match Confidence::try_from(request.confidence) {
        Ok(confidence) => confidence,
        Err(error) => {
            issues.add("confidence", error.to_string());
            Confidence::MAX
        }
    };
    let expected_channel = request.action_type.channel();
    if request.channel != expected_channel {
        let message = match expected_channel {
            Some(channel) => format!("a {} goes out by `{channel}`", request.action_type.label()),
            None => format!(
                "a {} has no channel: leave it out",
                request.action_type.label()
            ),
        };
        issues.add("channel", message);
    }
    match request.action_type {
        ActionType::DraftMessage => {
            issues.check_not_blank(
                "subject",
                request.subject.as_deref(),
                "an email needs a subject",
            );
            issues.check_not_blank("body", request.body.as_deref(), "an email needs a body");
        }
        ActionType::VoiceOutreach => {
            issues.check_not_blank("script", request.script.as_deref(), "a call needs a script");
        }
        ActionType::InternalNote | ActionType::TaskReminder => {
            issues.check_not_blank(
                "subject",
                request.subject.as_deref(),
                "a note or task needs a subject",
            );
        }
    }
    if request.action_type != ActionType::VoiceOutreach {
        if request.script.is_some() {
            issues.add("script", "only voice outreach has a script");
        }
        if request.tone.is_some() {
            issues.add("tone", "only voice outreach has a tone");
        }
        if request.estimated_duration_seconds.is_some() {
            issues.add(
                "estimated_duration_seconds",
                "only voice outreach has a duration",
            );
        }
    }
    if request
        .estimated_duration_seconds
        .is_some_and(|s| !(1..=3600).contains(&s))
    {
        issues.add(
            "estimated_duration_seconds",
            "must be from 1 to 3600 seconds",
        );
    }
    issues.check_len("subject", request.subject.as_deref(), MAX_SUBJECT_CHARS);
    issues.check_one_line("subject", request.subject.as_deref());
    issues.check_len("body", request.body.as_deref(), MAX_BODY_CHARS);
    issues.check_markup_depth("body", request.body.as_deref());
    issues.check_len("script", request.script.as_deref(), MAX_BODY_CHARS);
    for (field, text, escape) in [
        ("subject", &request.subject, variables::Escape::None),
        ("body", &request.body, variables::Escape::Html),
        ("script", &request.script, variables::Escape::None),
    ] {
        if text.as_deref().is_some_and(|text| {
            variables::filled_len(text, &request.variables, escape) > MAX_FILLED_BYTES
        }) {
            issues.add(
                field,
                format!(
                    "would be larger than {MAX_FILLED_BYTES} bytes once its variables are filled"
                ),
            );
        }
    }
    issues.check_not_blank(
        "trigger.summary",
        Some(&request.trigger.summary),
        "say what triggered the action",
    );
    issues.check_len(
        "trigger.summary",
        Some(&request.trigger.summary),
        MAX_NOTE_CHARS,
    );
    if !request.trigger.data.is_object() && !request.trigger.data.is_null() {
        issues.add("trigger.data", "must be a JSON object");
    }
    issues.check_json_size("trigger.data", &request.trigger.data, MAX_DATA_BYTES);
    if request.variables.len() > MAX_VARIABLES {
        issues.add("variables", format!("at most {MAX_VARIABLES} variables"));
    }
    if let Some(name) = request.variables.keys().find(|name| {
        name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }) {
        let shown: String = name.chars().take(MAX_VARIABLE_NAME_CHARS).collect();
        issues.add(
            "variables",
            format!("`{shown}` is not a variable name (letters, digits and _)"),
        );
    }
    if request
        .variables
        .keys()
        .any(|name| name.len() > MAX_VARIABLE_NAME_CHARS)
    {
        issues.add(
            "variables",
            format!("a variable name is at most {MAX_VARIABLE_NAME_CHARS} characters"),
        );
    }
    if let Some(name) = request
        .variables
        .iter()
        .find(|(_, value)| value.chars().count() > MAX_VARIABLE_VALUE_CHARS)
        .map(|(name, _)| name)
    {
        let shown: String = name.chars().take(MAX_VARIABLE_NAME_CHARS).collect();
        issues.add(
            "variables",
            format!("`{shown}` is longer than {MAX_VARIABLE_VALUE_CHARS} characters"),
        );
    }
    if request.confidence_factors.len() > MAX_CONFIDENCE_FACTORS {
        issues.add(
            "confidence_factors",
            format!("at most {MAX_CONFIDENCE_FACTORS} factors"),
        );
    }
    for (index, factor) in request.confidence_factors.iter().enumerate() {
        let field = format!("confidence_factors[{index}].label");
        issues.check_not_blank(&field, Some(&factor.label), "must not be blank");
        issues.check_len(&field, Some(&factor.label), MAX_FACTOR_LABEL_CHARS);
        issues.check_one_line(&field, Some(&factor.label));
        if !(-100..=100).contains(&factor.impact) {
            issues.add(
                &format!("confidence_factors[{index}].impact"),
                "must be from -100 to 100 percentage points",
            );
        }
    }
    if let Some(external_id) = &request.external_id {
        if external_id.trim().is_empty() {
            issues.add("external_id", "must not be blank");
        }
        issues.check_len("external_id", Some(external_id), MAX_EXTERNAL_ID_CHARS);
    }
    let precondition_url = request
        .precondition_url
        .as_deref()
        .and_then(|url| issues.check_http_url("precondition_url", url, MAX_PRECONDITION_URL_CHARS));
    issues.finish(ValidProposal {
        action_type: request.action_type,
        channel: request.channel,
        subject: request.subject.clone(),
        body: request.body.clone(),
        script: request.script.clone(),
        tone: request.tone,
        estimated_duration_seconds: request.estimated_duration_seconds,
        confidence,
        confidence_factors: request.confidence_factors.clone(),
        priority: request.priority,
        trigger: Trigger {
            summary: request.trigger.summary.trim().to_owned(),
            data: if request.trigger.data.is_null() {
                serde_json::json!({})
            } else {
                request.trigger.data.clone()
            },
        },
        variables: request.variables.clone(),
        external_id: request.external_id.clone(),
        precondition_url,
    })
}

/// Where a proposal cannot reach its customer: email without an address, a call without a
/// phone number.
pub fn check_reachable(
    channel: Option<Channel>,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<(), FieldError> {
    let missing = |value: Option<&str>| value.is_none_or(|v| v.trim().is_empty());
    match channel {
        Some(Channel::Email) if missing(email) => Err(FieldError::new(
            "customer_id",
            "the customer has no email address to send to",
        )),
        Some(Channel::Voice) if missing(phone) => Err(FieldError::new(
            "customer_id",
            "the customer has no phone number to call",
        )),
        _ => Ok(()),
    }
}

/// The timing of a proposal as field issues.
pub fn proposal_issue(error: ProposalTimingError) -> FieldError {
    match error {
        ProposalTimingError::ExpiryNotInFuture | ProposalTimingError::ExpiryTooFar => {
            FieldError::new("expires_at", error.to_string())
        }
        ProposalTimingError::NotBeforeAfterExpiry => {
            FieldError::new("not_before", error.to_string())
        }
    }
}

/// An agent's trust settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoExecutePolicy {
    pub action_types: Vec<ActionType>,
    pub min_confidence: Confidence,
}

impl AutoExecutePolicy {
    /// Whether an action of this type and confidence is sent without review.
    pub fn applies(&self, action_type: ActionType, confidence: Confidence) -> bool {
        self.action_types.contains(&action_type) && confidence >= self.min_confidence
    }
}

/// Draft changes: each field given replaces the draft's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
}

impl DraftChanges {
    pub fn is_empty(&self) -> bool {
        self.subject.is_none() && self.body.is_none() && self.script.is_none()
    }

    /// Checks the changes against the action's type: a call has a script, an email a subject and
    /// a body.
    pub fn validate(&self, action_type: ActionType) -> Result<(), Vec<FieldError>> {
        let mut issues = FieldErrors::default();
        let is_call = action_type == ActionType::VoiceOutreach;
        if is_call && self.subject.is_some() {
            issues.add("subject", "a call has no subject; edit the script");
        }
        if is_call && self.body.is_some() {
            issues.add("body", "a call has no body; edit the script");
        }
        if !is_call && self.script.is_some() {
            issues.add("script", "only voice outreach has a script");
        }
        for (field, value) in [
            ("subject", &self.subject),
            ("body", &self.body),
            ("script", &self.script),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                issues.add(field, "must not be blank");
            }
        }
        issues.check_len("subject", self.subject.as_deref(), MAX_SUBJECT_CHARS);
        issues.check_one_line("subject", self.subject.as_deref());
        issues.check_len("body", self.body.as_deref(), MAX_BODY_CHARS);
        issues.check_markup_depth("body", self.body.as_deref());
        issues.check_len("script", self.script.as_deref(), MAX_BODY_CHARS);
        issues.finish(())
    }
}

impl PreviewDraft {
    /// The limits of an edit, without its rules of completeness: a draft being written may
    /// still be blank or incomplete, and its preview says so.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut issues = FieldErrors::default();
        issues.check_len("subject", self.subject.as_deref(), MAX_SUBJECT_CHARS);
        issues.check_one_line("subject", self.subject.as_deref());
        issues.check_len("body", self.body.as_deref(), MAX_BODY_CHARS);
        issues.check_markup_depth("body", self.body.as_deref());
        issues.check_len("script", self.script.as_deref(), MAX_BODY_CHARS);
        issues.finish(())
    }
}

impl From<&ApproveAction> for DraftChanges {
    fn from(request: &ApproveAction) -> Self {
        DraftChanges {
            subject: request.subject.clone(),
            body: request.body.clone(),
            script: request.script.clone(),
        }
    }
}

impl From<&EditDraft> for DraftChanges {
    fn from(request: &EditDraft) -> Self {
        DraftChanges {
            subject: request.subject.clone(),
            body: request.body.clone(),
            script: request.script.clone(),
        }
    }
}

/// A reviewer's decision, checked and ready for the state machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Approve {
        changes: DraftChanges,
    },
    Reject {
        reason: RejectionReason,
        note: Option<String>,
    },
    Snooze {
        until: DateTime<Utc>,
        note: Option<String>,
    },
}

impl Decision {
    /// The state machine's event for this decision.
    pub fn event(&self) -> LifecycleEvent {
        match self {
            Decision::Approve { .. } => LifecycleEvent::Approve,
            Decision::Reject { .. } => LifecycleEvent::Reject,
            Decision::Snooze { until, .. } => LifecycleEvent::Snooze { until: *until },
        }
    }

    /// The decision as an event's data.
    pub fn details(&self) -> serde_json::Value {
        match self {
            Decision::Approve { .. } => serde_json::json!({}),
            Decision::Reject { reason, note } => {
                serde_json::json!({ "reason": reason, "note": note })
            }
            Decision::Snooze { until, note } => serde_json::json!({ "until": until, "note": note }),
        }
    }
}

fn clean_note(note: &Option<String>) -> Option<String> {
    note.as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// A rejection needs a reason, and a note when the reason is `other`.
pub fn reject_decision(
    reason: RejectionReason,
    note: &Option<String>,
) -> Result<Decision, Vec<FieldError>> {
    let mut issues = FieldErrors::default();
    let note = clean_note(note);
    if reason == RejectionReason::Other && note.is_none() {
        issues.add("note", "say why when the reason is `other`");
    }
    issues.check_len("note", note.as_deref(), MAX_NOTE_CHARS);
    issues.finish(Decision::Reject { reason, note })
}

impl TryFrom<&RejectAction> for Decision {
    type Error = Vec<FieldError>;
    fn try_from(request: &RejectAction) -> Result<Self, Self::Error> {
        reject_decision(request.reason, &request.note)
    }
}

/// A snooze needs exactly one of a preset duration and a custom time, in the future.
/// `next_business_morning` is when the location next opens on a later day.
pub fn snooze_decision(
    duration: Option<crate::SnoozeDuration>,
    until: Option<DateTime<Utc>>,
    note: &Option<String>,
    now: DateTime<Utc>,
    next_business_morning: DateTime<Utc>,
) -> Result<Decision, Vec<FieldError>> {
    let mut issues = FieldErrors::default();
    let note = clean_note(note);
    issues.check_len("note", note.as_deref(), MAX_NOTE_CHARS);
    let until = match (duration, until) {
        (Some(duration), None) => duration.until(now, next_business_morning),
        (None, Some(until)) if until > now => until,
        (None, Some(_)) => {
            issues.add("until", "must be in the future");
            now
        }
        (Some(_), Some(_)) => {
            issues.add("duration", "give either `duration` or `until`, not both");
            now
        }
        (None, None) => {
            issues.add(
                "duration",
                "give `duration` (1h, 4h, 1d, 3d, next_business_morning) or `until`",
            );
            now
        }
    };
    issues.finish(Decision::Snooze { until, note })
}

impl SnoozeAction {
    /// The decision this request asks for at `now`, in a location that next opens on a later
    /// day at `next_business_morning`.
    pub fn decision(
        &self,
        now: DateTime<Utc>,
        next_business_morning: DateTime<Utc>,
    ) -> Result<Decision, Vec<FieldError>> {
        snooze_decision(
            self.duration,
            self.until,
            &self.note,
            now,
            next_business_morning,
        )
    }
}

impl ApproveAction {
    /// The decision this request asks for: approve, with edits when any are given.
    pub fn decision(&self, action_type: ActionType) -> Result<Decision, Vec<FieldError>> {
        let changes = DraftChanges::from(self);
        changes.validate(action_type)?;
        Ok(Decision::Approve { changes })
    }
}

/// The event an approval raises: a call approved while the location is closed waits until it
/// opens (`opens_at`); everything else is sent now.
pub fn approval_event(channel: Option<Channel>, opens_at: Option<DateTime<Utc>>) -> LifecycleEvent {
    match (channel, opens_at) {
        (Some(Channel::Voice), Some(send_at)) => LifecycleEvent::ApproveForLater { send_at },
        _ => LifecycleEvent::Approve,
    }
}

/// The placeholders in a draft that nothing fills: sending is blocked until they are gone.
pub fn unknown_variables(
    subject: Option<&str>,
    body: Option<&str>,
    script: Option<&str>,
    values: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut unknown = Vec::new();
    for text in [subject, body, script].into_iter().flatten() {
        for name in variables::names(text) {
            if !values.contains_key(&name) && !unknown.contains(&name) {
                unknown.push(name);
            }
        }
    }
    unknown
}

/// The lifecycle a proposal starts with, with its timing problems as field issues.
pub fn initial_lifecycle(
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    not_before: Option<DateTime<Utc>>,
    auto_execute: bool,
) -> Result<Lifecycle, FieldError> {
    Lifecycle::proposed(now, expires_at, not_before, auto_execute).map_err(proposal_issue)
}

#[cfg(test)]
mod tests;
