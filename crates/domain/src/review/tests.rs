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

fn fields(issues: &[FieldError]) -> Vec<&str> {
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
    let morning = DateTime::parse_from_rfc3339("2026-11-25T09:00:00Z")
        .expect("a time")
        .to_utc();
    assert_eq!(
        snooze_decision(
            Some(SnoozeDuration::NextBusinessMorning),
            None,
            &None,
            morning - Duration::hours(20),
            morning
        ),
        Ok(Decision::Snooze {
            until: morning,
            note: None
        }),
        "the location's next morning"
    );
    let now = DateTime::<Utc>::UNIX_EPOCH;
    assert_eq!(
        snooze_decision(
            Some(SnoozeDuration::FourHours),
            None,
            &None,
            now,
            now + Duration::hours(20)
        ),
        Ok(Decision::Snooze {
            until: now + Duration::hours(4),
            note: None
        })
    );
    assert!(snooze_decision(None, Some(now), &None, now, now + Duration::hours(20)).is_err());
    assert!(snooze_decision(None, None, &None, now, now + Duration::hours(20)).is_err());
    assert!(snooze_decision(
        Some(SnoozeDuration::OneHour),
        Some(now + Duration::hours(2)),
        &None,
        now,
        now + Duration::hours(20)
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

#[test]
fn a_subject_is_one_line_of_visible_text() {
    for hidden in [
        "\0",
        "\r\nBcc: all@example.com",
        "\t",
        "\u{202e}gnp.exe",
        "\u{2066}x",
    ] {
        let mut request = email_proposal();
        request.subject = Some(format!("Reminder{hidden}"));
        let issues = validate_proposal(&request).expect_err(hidden);
        assert_eq!(fields(&issues), ["subject"], "{hidden:?}");
        let edit = DraftChanges {
            subject: Some(format!("Edited{hidden}")),
            ..DraftChanges::default()
        };
        assert!(
            edit.validate(ActionType::DraftMessage).is_err(),
            "{hidden:?}"
        );
    }
    let mut request = email_proposal();
    request.subject = Some("Zoë's invoice — due «today» 🧾".into());
    assert!(validate_proposal(&request).is_ok());
}

/// A change that breaks one rule of a proposal.
type Breakage = Box<dyn Fn(&mut ProposeAction)>;

#[test]
fn every_free_form_field_is_bounded() {
    let cases: Vec<(&str, Breakage)> = vec![
        (
            "variables",
            Box::new(|r| {
                r.variables.insert("n".repeat(65), "x".into());
            }),
        ),
        (
            "variables",
            Box::new(|r| {
                r.variables.insert("big".into(), "x".repeat(10_001));
            }),
        ),
        (
            "confidence_factors",
            Box::new(|r| {
                r.confidence_factors = vec![
                    ConfidenceFactor {
                        label: "ok".into(),
                        impact: 1
                    };
                    21
                ];
            }),
        ),
        (
            "confidence_factors[0].label",
            Box::new(|r| {
                r.confidence_factors = vec![ConfidenceFactor {
                    label: "l".repeat(201),
                    impact: 1,
                }];
            }),
        ),
        (
            "confidence_factors[0].impact",
            Box::new(|r| {
                r.confidence_factors = vec![ConfidenceFactor {
                    label: "ok".into(),
                    impact: 101,
                }];
            }),
        ),
        (
            "trigger.data",
            Box::new(|r| {
                r.trigger.data = serde_json::json!({ "blob": "x".repeat(MAX_DATA_BYTES) });
            }),
        ),
    ];
    for (field, break_it) in cases {
        let mut request = email_proposal();
        break_it(&mut request);
        let issues = validate_proposal(&request).expect_err(field);
        assert_eq!(fields(&issues), [field]);
    }
    let mut at_the_limits = email_proposal();
    at_the_limits
        .variables
        .insert("n".repeat(64), "x".repeat(10_000));
    at_the_limits.confidence_factors = vec![
        ConfidenceFactor {
            label: "l".repeat(200),
            impact: -100
        };
        20
    ];
    assert!(validate_proposal(&at_the_limits).is_ok());
}

#[test]
fn a_headline_is_at_most_200_characters() {
    let sentence = "Ö".repeat(100_000);
    let cut = headline(None, Some(&sentence));
    assert_eq!(cut.chars().count(), MAX_HEADLINE_CHARS);
    assert!(cut.ends_with('…'));
    let exact = "a".repeat(MAX_HEADLINE_CHARS);
    assert_eq!(headline(Some(&exact), None), exact);
    assert_eq!(headline(None, Some("Hi Zoë. This is the gym.")), "Hi Zoë.");
}

proptest! {
    #[test]
    fn a_headline_never_exceeds_its_limit(subject in ".{0,300}", script in ".{0,300}") {
        let line = headline(Some(&subject), Some(&script));
        prop_assert!(line.chars().count() <= MAX_HEADLINE_CHARS);
    }
}

#[test]
fn markup_depth_counts_open_elements_but_not_void_or_closed_ones() {
    assert_eq!(markup_depth("plain text, 1 < 2"), 0);
    assert_eq!(
        markup_depth("<p>Hi<br>there<img src=x><br/></p><p>again</p>"),
        1
    );
    assert_eq!(markup_depth("<div><ul><li>a</li><li>b</li></ul></div>"), 3);
    assert_eq!(markup_depth(&"<div>".repeat(20_000)), 20_000);
    let mut request = email_proposal();
    request.body = Some("<div>".repeat(MAX_MARKUP_DEPTH + 1));
    assert_eq!(
        fields(&validate_proposal(&request).expect_err("too deep")),
        ["body"]
    );
    request.body = Some(format!(
        "{}hi{}",
        "<div>".repeat(MAX_MARKUP_DEPTH),
        "</div>".repeat(MAX_MARKUP_DEPTH)
    ));
    assert!(validate_proposal(&request).is_ok());
}

#[test]
fn a_draft_that_would_fill_to_more_than_a_megabyte_is_refused() {
    let mut request = email_proposal();
    request.variables.insert("v".into(), "x".repeat(10_000));
    request.body = Some("{{v}}".repeat(99));
    assert!(validate_proposal(&request).is_ok(), "990 KB");
    request.body = Some("{{v}}".repeat(101));
    assert_eq!(
        fields(&validate_proposal(&request).expect_err("too big")),
        ["body"]
    );
}

#[test]
fn a_precondition_url_is_an_http_url_kept_trimmed() {
    let mut request = email_proposal();
    request.precondition_url = Some(" https://billing.example/invoices/1234 ".into());
    assert_eq!(
        validate_proposal(&request)
            .expect("valid")
            .precondition_url
            .as_deref(),
        Some("https://billing.example/invoices/1234")
    );
    for bad in ["ftp://billing.example", "https://", "https://a b.example"] {
        request.precondition_url = Some(bad.into());
        let issues = validate_proposal(&request).expect_err(bad);
        assert_eq!(fields(&issues), ["precondition_url"], "{bad}");
    }
}

#[test]
fn only_what_the_customer_did_makes_outreach_moot() {
    use crate::dto::OutcomeKind;
    let moot: Vec<OutcomeKind> = OutcomeKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.moots_outreach())
        .collect();
    assert_eq!(
        moot,
        [
            OutcomeKind::PaymentMade,
            OutcomeKind::BookingMade,
            OutcomeKind::Replied,
            OutcomeKind::Renewed,
            OutcomeKind::Unsubscribed,
        ]
    );
}
