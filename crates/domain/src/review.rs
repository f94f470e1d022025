//! The rules of proposing and reviewing, as pure functions over the request bodies: what a valid
//! proposal is, what each review verb needs, and which agent may act alone.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    dto::{ApproveAction, EditDraft, ProposeAction, RejectAction, SnoozeAction, Trigger},
    lifecycle::{Lifecycle, LifecycleEvent, ProposalTimingError},
    variables, ActionType, Channel, Confidence, ConfidenceFactor, Priority, RejectionReason, Tone,
};

/// The most ids one bulk request may hold.
pub const MAX_BULK_IDS: usize = 500;
const MAX_SUBJECT_CHARS: usize = 500;
const MAX_BODY_CHARS: usize = 100_000;
const MAX_NOTE_CHARS: usize = 2_000;
const MAX_EXTERNAL_ID_CHARS: usize = 200;
const MAX_VARIABLES: usize = 100;

/// One invalid field of a request, named as the request names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldIssue {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects issues so a request hears about every problem at once.
#[derive(Debug, Default)]
struct Issues(Vec<FieldIssue>);

impl Issues {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldIssue::new(field, message));
    }

    fn check_len(&mut self, field: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|v| v.chars().count() > max) {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    fn check_not_blank(&mut self, field: &str, value: Option<&str>, why: &str) {
        if value.is_none_or(|v| v.trim().is_empty()) {
            self.add(field, why.to_owned());
        }
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<FieldIssue>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}

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
}

impl ValidProposal {
    /// What the list shows: the subject, or the script's first sentence.
    pub fn headline(&self) -> String {
        headline(self.subject.as_deref(), self.script.as_deref())
    }
}

/// The subject, or else the script's opening line.
pub fn headline(subject: Option<&str>, script: Option<&str>) -> String {
    match (subject, script) {
        (Some(subject), _) if !subject.trim().is_empty() => subject.trim().to_owned(),
        (_, Some(script)) => script
            .split_inclusive(['.', '?', '!'])
            .next()
            .unwrap_or(script)
            .trim()
            .to_owned(),
        _ => String::new(),
    }
}

/// The channel an action type goes out on: email drafts, voice calls, and nothing for notes
/// and tasks, which stay inside the business.
pub fn channel_for(action_type: ActionType) -> Option<Channel> {
    match action_type {
        ActionType::DraftMessage => Some(Channel::Email),
        ActionType::VoiceOutreach => Some(Channel::Voice),
        ActionType::InternalNote | ActionType::TaskReminder => None,
    }
}

/// Checks a proposal's own fields.
pub fn validate_proposal(request: &ProposeAction) -> Result<ValidProposal, Vec<FieldIssue>> {
    let mut issues = Issues::default();
    let confidence = match Confidence::try_from(request.confidence) {
        Ok(confidence) => confidence,
        Err(error) => {
            issues.add("confidence", error.to_string());
            Confidence::MAX
        }
    };
    let expected_channel = channel_for(request.action_type);
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
    issues.check_len("body", request.body.as_deref(), MAX_BODY_CHARS);
    issues.check_len("script", request.script.as_deref(), MAX_BODY_CHARS);
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
    if request.variables.len() > MAX_VARIABLES {
        issues.add("variables", format!("at most {MAX_VARIABLES} variables"));
    }
    if let Some(name) = request.variables.keys().find(|name| {
        name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }) {
        issues.add(
            "variables",
            format!("`{name}` is not a variable name (letters, digits and _)"),
        );
    }
    if let Some(external_id) = &request.external_id {
        if external_id.trim().is_empty() {
            issues.add("external_id", "must not be blank");
        }
        issues.check_len("external_id", Some(external_id), MAX_EXTERNAL_ID_CHARS);
    }
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
    })
}

/// Where a proposal cannot reach its customer: email without an address, a call without a
/// phone number.
pub fn check_reachable(
    channel: Option<Channel>,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<(), FieldIssue> {
    let missing = |value: Option<&str>| value.is_none_or(|v| v.trim().is_empty());
    match channel {
        Some(Channel::Email) if missing(email) => Err(FieldIssue::new(
            "customer_id",
            "the customer has no email address to send to",
        )),
        Some(Channel::Voice) if missing(phone) => Err(FieldIssue::new(
            "customer_id",
            "the customer has no phone number to call",
        )),
        _ => Ok(()),
    }
}

/// The timing of a proposal as field issues.
pub fn proposal_issue(error: ProposalTimingError) -> FieldIssue {
    match error {
        ProposalTimingError::ExpiryNotInFuture => FieldIssue::new("expires_at", error.to_string()),
        ProposalTimingError::NotBeforeAfterExpiry => {
            FieldIssue::new("not_before", error.to_string())
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
    pub fn validate(&self, action_type: ActionType) -> Result<(), Vec<FieldIssue>> {
        let mut issues = Issues::default();
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
        issues.check_len("body", self.body.as_deref(), MAX_BODY_CHARS);
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
) -> Result<Decision, Vec<FieldIssue>> {
    let mut issues = Issues::default();
    let note = clean_note(note);
    if reason == RejectionReason::Other && note.is_none() {
        issues.add("note", "say why when the reason is `other`");
    }
    issues.check_len("note", note.as_deref(), MAX_NOTE_CHARS);
    issues.finish(Decision::Reject { reason, note })
}

impl TryFrom<&RejectAction> for Decision {
    type Error = Vec<FieldIssue>;
    fn try_from(request: &RejectAction) -> Result<Self, Self::Error> {
        reject_decision(request.reason, &request.note)
    }
}

/// A snooze needs exactly one of a preset duration and a custom time, in the future.
pub fn snooze_decision(
    duration: Option<crate::SnoozeDuration>,
    until: Option<DateTime<Utc>>,
    note: &Option<String>,
    now: DateTime<Utc>,
) -> Result<Decision, Vec<FieldIssue>> {
    let mut issues = Issues::default();
    let note = clean_note(note);
    issues.check_len("note", note.as_deref(), MAX_NOTE_CHARS);
    let until = match (duration, until) {
        (Some(duration), None) => duration.until(now),
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
            issues.add("duration", "give `duration` (1h, 4h, 1d, 3d) or `until`");
            now
        }
    };
    issues.finish(Decision::Snooze { until, note })
}

impl SnoozeAction {
    /// The decision this request asks for at `now`.
    pub fn decision(&self, now: DateTime<Utc>) -> Result<Decision, Vec<FieldIssue>> {
        snooze_decision(self.duration, self.until, &self.note, now)
    }
}

impl ApproveAction {
    /// The decision this request asks for: approve, with edits when any are given.
    pub fn decision(&self, action_type: ActionType) -> Result<Decision, Vec<FieldIssue>> {
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
) -> Result<Lifecycle, FieldIssue> {
    Lifecycle::proposed(now, expires_at, not_before, auto_execute).map_err(proposal_issue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SnoozeDuration;
    use chrono::Duration;
    use proptest::prelude::*;

    fn email_proposal() -> ProposeAction {
        serde_json::from_value(serde_json::json!({
            "customer_id": "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57",
            "agent_id": "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f58",
            "action_type": "draft_message",
            "channel": "email",
            "subject": "Payment reminder: Invoice #{{invoice_number}}",
            "body": "<p>Hi {{first_name}}</p>",
            "confidence": 87,
            "priority": "high",
            "trigger": {"summary": "Invoice #1234 is 5 days overdue.", "data": {"invoice_number": "1234"}},
            "variables": {"invoice_number": "1234"}
        }))
        .expect("a valid request body")
    }

    fn fields(issues: &[FieldIssue]) -> Vec<&str> {
        issues.iter().map(|i| i.field.as_str()).collect()
    }

    #[test]
    fn a_complete_email_proposal_is_valid() {
        let valid = validate_proposal(&email_proposal()).expect("valid");
        assert_eq!(
            valid.headline(),
            "Payment reminder: Invoice #{{invoice_number}}"
        );
        assert_eq!(valid.confidence.percent(), 87);
    }

    #[test]
    fn every_broken_field_is_reported_at_once() {
        let mut request = email_proposal();
        request.confidence = 101;
        request.channel = Some(Channel::Voice);
        request.subject = None;
        request.tone = Some(Tone::Urgent);
        request.trigger.summary = " ".into();
        let issues = validate_proposal(&request).expect_err("invalid");
        assert_eq!(
            fields(&issues),
            [
                "confidence",
                "channel",
                "subject",
                "tone",
                "trigger.summary"
            ]
        );
    }

    #[test]
    fn a_call_needs_a_script_and_a_note_needs_no_channel() {
        let mut call = email_proposal();
        call.action_type = ActionType::VoiceOutreach;
        call.channel = Some(Channel::Voice);
        call.subject = None;
        call.body = None;
        assert_eq!(
            fields(&validate_proposal(&call).expect_err("no script")),
            ["script"]
        );
        call.script = Some("Hi {{first_name}}. It's about your invoice.".into());
        assert_eq!(
            validate_proposal(&call).expect("valid").headline(),
            "Hi {{first_name}}."
        );

        let mut note = email_proposal();
        note.action_type = ActionType::InternalNote;
        assert_eq!(
            fields(&validate_proposal(&note).expect_err("has a channel")),
            ["channel"]
        );
        note.channel = None;
        assert!(validate_proposal(&note).is_ok());
    }

    #[test]
    fn unreachable_customers_are_named() {
        assert!(check_reachable(Some(Channel::Email), None, Some("+44")).is_err());
        assert!(check_reachable(Some(Channel::Voice), Some("a@b.c"), None).is_err());
        assert!(check_reachable(None, None, None).is_ok());
    }

    #[test]
    fn rejecting_for_another_reason_needs_a_note() {
        assert!(reject_decision(RejectionReason::Other, &None).is_err());
        assert!(reject_decision(RejectionReason::Other, &Some("  ".into())).is_err());
        assert!(reject_decision(RejectionReason::Other, &Some("Handled by phone".into())).is_ok());
        assert!(reject_decision(RejectionReason::PoorTiming, &None).is_ok());
    }

    #[test]
    fn a_snooze_takes_a_preset_or_a_future_time() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            snooze_decision(Some(SnoozeDuration::FourHours), None, &None, now),
            Ok(Decision::Snooze {
                until: now + Duration::hours(4),
                note: None
            })
        );
        assert!(snooze_decision(None, Some(now), &None, now).is_err());
        assert!(snooze_decision(None, None, &None, now).is_err());
        assert!(snooze_decision(
            Some(SnoozeDuration::OneHour),
            Some(now + Duration::hours(2)),
            &None,
            now
        )
        .is_err());
    }

    #[test]
    fn auto_execute_needs_the_type_and_the_threshold() {
        let policy = AutoExecutePolicy {
            action_types: vec![ActionType::DraftMessage],
            min_confidence: Confidence::try_from(90).expect("valid"),
        };
        let c = |v| Confidence::try_from(v).expect("valid");
        assert!(policy.applies(ActionType::DraftMessage, c(90)));
        assert!(!policy.applies(ActionType::DraftMessage, c(89)));
        assert!(!policy.applies(ActionType::VoiceOutreach, c(99)));
    }

    #[test]
    fn only_calls_wait_for_opening_hours() {
        let opens = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(9);
        assert_eq!(
            approval_event(Some(Channel::Voice), Some(opens)),
            LifecycleEvent::ApproveForLater { send_at: opens }
        );
        assert_eq!(
            approval_event(Some(Channel::Voice), None),
            LifecycleEvent::Approve
        );
        assert_eq!(
            approval_event(Some(Channel::Email), Some(opens)),
            LifecycleEvent::Approve
        );
    }

    #[test]
    fn edits_must_fit_the_action_type() {
        let call_edit = DraftChanges {
            subject: Some("x".into()),
            ..DraftChanges::default()
        };
        assert!(call_edit.validate(ActionType::VoiceOutreach).is_err());
        assert!(call_edit.validate(ActionType::DraftMessage).is_ok());
        let blank = DraftChanges {
            body: Some(" ".into()),
            ..DraftChanges::default()
        };
        assert!(blank.validate(ActionType::DraftMessage).is_err());
    }

    #[test]
    fn unknown_variables_are_listed_once_in_order() {
        let values = BTreeMap::from([("first_name".to_owned(), "Zoë".to_owned())]);
        assert_eq!(
            unknown_variables(
                Some("{{a}} {{first_name}}"),
                Some("{{b}} {{a}}"),
                None,
                &values
            ),
            ["a", "b"]
        );
    }

    proptest! {
        #[test]
        fn a_proposal_is_valid_only_with_a_confidence_from_0_to_100(confidence in -500i64..500) {
            let mut request = email_proposal();
            request.confidence = confidence;
            prop_assert_eq!(validate_proposal(&request).is_ok(), (0..=100).contains(&confidence));
        }
    }
}
