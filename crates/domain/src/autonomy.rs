//! Earned autonomy: from what people decided over the last 30 days, whether an agent has earned
//! sending an action type without review, and from which confidence.

use serde::{Deserialize, Serialize};

use crate::{
    display::percent,
    dto::{AgentSummary, OutcomeKind},
    insights::{EditIntensity, Tally},
    ActionType,
};

/// How far back the evidence reaches, in days.
pub const EVIDENCE_DAYS: u32 = 30;
/// Reviewed actions needed before anything is suggested.
pub const MIN_REVIEWED: u64 = 20;
/// The share of reviewed actions that must have been approved.
pub const MIN_APPROVAL_RATE: f64 = 0.95;
/// The share of approvals that may have been rewritten (light edits are fine).
pub const MAX_REWRITTEN_SHARE: f64 = 0.05;
/// Approvals needed at or above a suggested confidence, none of them rejected.
pub const MIN_APPROVED_ABOVE: u64 = 10;

/// What people decided about one agent's actions of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evidence {
    pub approved_as_is: u64,
    pub approved_light: u64,
    pub approved_rewritten: u64,
    pub rejected: u64,
    /// Customers who unsubscribed after its messages.
    pub unsubscribed: u64,
    /// Per band of ten confidence points: how many were approved and rejected by a person.
    pub by_band: [(u64, u64); 11],
}

impl Evidence {
    /// Counts one tally.
    pub fn add(&mut self, tally: Tally, value: i64) {
        let value = u64::try_from(value).unwrap_or_default();
        match tally {
            Tally::ApprovedAsIs => self.approved_as_is += value,
            Tally::ApprovedEdited(EditIntensity::Light) => self.approved_light += value,
            Tally::ApprovedEdited(_) => self.approved_rewritten += value,
            Tally::Rejected(_) => self.rejected += value,
            Tally::Outcome(OutcomeKind::Unsubscribed) => self.unsubscribed += value,
            Tally::Decided { approved, band } => {
                if let Some((yes, no)) = self.by_band.get_mut(usize::from(band)) {
                    if approved {
                        *yes += value;
                    } else {
                        *no += value;
                    }
                }
            }
            _ => {}
        }
    }

    fn reviewed(&self) -> (u64, u64) {
        self.by_band
            .iter()
            .fold((0, 0), |(yes, no), (y, n)| (yes + y, no + n))
    }

    fn approvals(&self) -> u64 {
        self.approved_as_is + self.approved_light + self.approved_rewritten
    }
}

/// The lowest confidence (a multiple of ten) from which every action a person decided was
/// approved, with at least [`MIN_APPROVED_ABOVE`] of them.
fn threshold(evidence: &Evidence) -> Option<u8> {
    let mut approved_above = 0;
    let mut best = None;
    for band in (0..evidence.by_band.len()).rev() {
        let (approved, rejected) = evidence.by_band[band];
        if rejected > 0 {
            break;
        }
        approved_above += approved;
        // Only as low as the evidence reaches: a band nobody decided proves nothing.
        if approved > 0 && approved_above >= MIN_APPROVED_ABOVE {
            best = u8::try_from(band * 10).ok();
        }
    }
    best
}

/// The confidence from which the agent has earned sending alone, or why it has not.
pub fn judge(evidence: &Evidence) -> Result<u8, String> {
    let (approved, rejected) = evidence.reviewed();
    let reviewed = approved + rejected;
    if reviewed < MIN_REVIEWED {
        return Err(format!(
            "{reviewed} reviewed in {EVIDENCE_DAYS} days; {MIN_REVIEWED} are needed."
        ));
    }
    let rate = approved as f64 / reviewed as f64;
    if rate < MIN_APPROVAL_RATE {
        return Err(format!(
            "{} approved; {} is needed.",
            percent(rate),
            percent(MIN_APPROVAL_RATE)
        ));
    }
    let approvals = evidence.approvals();
    if approvals > 0 && evidence.approved_rewritten as f64 / approvals as f64 > MAX_REWRITTEN_SHARE
    {
        return Err(format!(
            "{} of {approvals} approvals were rewritten first.",
            evidence.approved_rewritten
        ));
    }
    if evidence.unsubscribed > 0 {
        return Err(format!(
            "{} customers unsubscribed after its messages.",
            evidence.unsubscribed
        ));
    }
    threshold(evidence).ok_or_else(|| {
        format!(
            "No confidence above which every reviewed action was approved ({MIN_APPROVED_ABOVE} or more)."
        )
    })
}

/// How far back demotion looks, in days.
pub const DEMOTION_DAYS: u32 = 30;
/// Unsubscribes after messages sent alone that pause autonomy...
pub const DEMOTION_MIN_NEGATIVE: u64 = 3;
/// ...once they are more than this share of the messages sent alone.
pub const DEMOTION_NEGATIVE_SHARE: f64 = 0.1;

/// Why an agent loses sending a type alone, if it does: of the `sent_alone` messages of the last
/// 30 days, `unsubscribed` were followed by an unsubscribe — at least 3, and more than 10%.
pub fn lost_autonomy(sent_alone: u64, unsubscribed: u64) -> Option<String> {
    let share = unsubscribed as f64 / sent_alone.max(1) as f64;
    (unsubscribed >= DEMOTION_MIN_NEGATIVE && share > DEMOTION_NEGATIVE_SHARE).then(|| {
        format!(
            "{unsubscribed} of the {sent_alone} messages it sent alone in {DEMOTION_DAYS} days were followed by an unsubscribe."
        )
    })
}

/// What the Agents page says of one agent's action type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutonomyAdvice {
    pub agent: AgentSummary,
    pub action_type: ActionType,
    /// Approved or rejected by a person in the last 30 days.
    pub reviewed: u64,
    pub approval_rate: Option<f64>,
    /// Of the approvals, the share sent as proposed.
    pub unchanged_share: Option<f64>,
    /// Whether the agent already sends this type alone.
    pub auto_executing: bool,
    /// The confidence from which it has earned sending alone; `null` when it has not.
    #[cfg_attr(feature = "openapi", schema(example = 80))]
    pub suggested_min_confidence: Option<u8>,
    /// The evidence, or what is missing, in a sentence.
    pub why: String,
}

/// The advice for `agent`'s `action_type` from `evidence`.
pub fn advise(
    agent: AgentSummary,
    action_type: ActionType,
    evidence: &Evidence,
    auto_executing: bool,
) -> AutonomyAdvice {
    let (approved, rejected) = evidence.reviewed();
    let reviewed = approved + rejected;
    let approvals = evidence.approvals();
    let approval_rate = (reviewed > 0).then(|| approved as f64 / reviewed as f64);
    let unchanged_share =
        (approvals > 0).then(|| evidence.approved_as_is as f64 / approvals as f64);
    let judged = judge(evidence);
    let why = match &judged {
        Ok(threshold) => format!(
            "{reviewed} reviewed in {EVIDENCE_DAYS} days, {} approved, {} sent as proposed, none rejected from {threshold}% confidence.",
            approval_rate.map_or_else(|| "none".to_owned(), percent),
            unchanged_share.map_or_else(|| "none".to_owned(), percent),
        ),
        Err(why) => why.clone(),
    };
    AutonomyAdvice {
        agent,
        action_type,
        reviewed,
        approval_rate,
        unchanged_share,
        auto_executing,
        suggested_min_confidence: judged.ok(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> Evidence {
        let mut evidence = Evidence::default();
        evidence.add(Tally::ApprovedAsIs, 24);
        evidence.add(Tally::ApprovedEdited(EditIntensity::Light), 1);
        evidence.add(
            Tally::Decided {
                approved: true,
                band: 9,
            },
            15,
        );
        evidence.add(
            Tally::Decided {
                approved: true,
                band: 8,
            },
            10,
        );
        evidence
    }

    #[test]
    fn a_clean_record_earns_autonomy_from_where_nothing_was_rejected() {
        assert_eq!(judge(&trusted()), Ok(80));
        let mut one_rejected_at_80 = trusted();
        one_rejected_at_80.add(
            Tally::Decided {
                approved: false,
                band: 8,
            },
            1,
        );
        assert_eq!(judge(&one_rejected_at_80), Ok(90), "only 90+ is clean");
    }

    #[test]
    fn too_few_too_often_rejected_rewritten_or_unsubscribed_earns_nothing() {
        let mut few = Evidence::default();
        few.add(
            Tally::Decided {
                approved: true,
                band: 9,
            },
            5,
        );
        assert_eq!(
            judge(&few),
            Err("5 reviewed in 30 days; 20 are needed.".to_owned())
        );

        let mut rejected = trusted();
        rejected.add(
            Tally::Decided {
                approved: false,
                band: 5,
            },
            3,
        );
        assert_eq!(
            judge(&rejected),
            Err("89% approved; 95% is needed.".to_owned())
        );

        let mut rewritten = trusted();
        rewritten.add(Tally::ApprovedEdited(EditIntensity::Rewritten), 5);
        assert_eq!(
            judge(&rewritten),
            Err("5 of 30 approvals were rewritten first.".to_owned())
        );

        let mut unsubscribed = trusted();
        unsubscribed.add(Tally::Outcome(OutcomeKind::Unsubscribed), 1);
        assert!(judge(&unsubscribed).is_err());
    }

    #[test]
    fn autonomy_is_lost_on_three_unsubscribes_past_a_tenth() {
        assert_eq!(lost_autonomy(40, 3), None, "3 of 40 is under a tenth");
        assert_eq!(lost_autonomy(5, 2), None, "2 is not enough");
        assert_eq!(
            lost_autonomy(20, 3).as_deref(),
            Some("3 of the 20 messages it sent alone in 30 days were followed by an unsubscribe.")
        );
    }

    #[test]
    fn the_advice_says_why() {
        let agent = AgentSummary {
            id: uuid::Uuid::nil(),
            name: "Due Invoice Reminders".to_owned(),
        };
        let advice = advise(agent, ActionType::DraftMessage, &trusted(), false);
        assert_eq!(advice.suggested_min_confidence, Some(80));
        assert_eq!(advice.reviewed, 25);
        assert_eq!(
            advice.why,
            "25 reviewed in 30 days, 100% approved, 96% sent as proposed, none rejected from 80% confidence."
        );
    }
}
