//! Insights: how each agent performs over time. Every history entry adds to its day's tallies
//! (kept as actions change, so a period is read, never recounted); [`assemble`] turns a period's
//! tallies into what the Insights page draws.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    dto::{AgentSummary, OutcomeKind},
    metrics::{approval_rate, ReasonCount},
    Confidence, EventKind, RejectionReason,
};

/// The periods an insight covers, in days.
pub const PERIODS: [u32; 3] = [7, 30, 90];

/// The review-time histogram's upper bounds, in seconds: 5 and 15 minutes, half an hour, 1, 2,
/// 4 and 8 hours, 1, 2 and 3 days; the last bucket holds the rest. A p90 is told to its bucket.
pub const REVIEW_BUCKETS: [i64; 10] = [
    300, 900, 1_800, 3_600, 7_200, 14_400, 28_800, 86_400, 172_800, 259_200,
];

/// How much of a text the edit distance reads: an edit is judged by its first 2,000 characters,
/// so that a long draft costs a bounded comparison.
const EDIT_COMPARED_CHARS: usize = 2_000;

crate::action::wire_enum! {
    /// How much a reviewer changed a draft before approving it.
    pub enum EditIntensity {
        Unchanged => ("unchanged", "Unchanged"),
        /// At least 80% of the text as proposed (normalised Levenshtein similarity).
        Light => ("light", "Light edits"),
        Rewritten => ("rewritten", "Rewritten"),
    }
}

/// How much `after` differs from `before` (see [`EditIntensity`]).
pub fn edit_intensity(before: &str, after: &str) -> EditIntensity {
    let cut = |text: &str| text.chars().take(EDIT_COMPARED_CHARS).collect::<String>();
    let (before, after) = (cut(before), cut(after));
    if before == after {
        return EditIntensity::Unchanged;
    }
    if strsim::normalized_levenshtein(&before, &after) >= 0.8 {
        EditIntensity::Light
    } else {
        EditIntensity::Rewritten
    }
}

/// Which review-time bucket `seconds` falls in.
pub fn review_bucket(seconds: i64) -> usize {
    REVIEW_BUCKETS
        .iter()
        .position(|bound| seconds <= *bound)
        .unwrap_or(REVIEW_BUCKETS.len())
}

/// One thing a day's tallies count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tally {
    Proposed,
    /// Approved without an edit.
    ApprovedAsIs,
    /// Approved after an edit, and how much of one.
    ApprovedEdited(EditIntensity),
    Rejected(RejectionReason),
    Snoozed,
    Expired,
    AutoExecuted,
    /// An approval taken back before its message left.
    Undone,
    /// A first review by a person; with it its seconds ([`Tally::ReviewSeconds`]) and its
    /// bucket ([`Tally::ReviewWithin`]).
    Reviewed,
    /// Summed seconds from proposal to first review.
    ReviewSeconds,
    ReviewWithin(usize),
    /// A message that went out.
    Sent,
    Outcome(OutcomeKind),
    /// A person approved (or rejected) an action proposed with a confidence in this band of ten
    /// points (0–9 is band 0, 100 band 10): what earned autonomy is judged on.
    Decided {
        approved: bool,
        band: u8,
    },
    /// An outcome of an action its agent sent alone: what autonomy is lost on.
    AfterAuto(OutcomeKind),
}

impl Tally {
    /// How the tally is stored.
    pub fn key(self) -> String {
        match self {
            Tally::Proposed => "proposed".to_owned(),
            Tally::ApprovedAsIs => "approved_as_is".to_owned(),
            Tally::ApprovedEdited(intensity) => format!("approved_edited:{intensity}"),
            Tally::Rejected(reason) => format!("rejected:{reason}"),
            Tally::Snoozed => "snoozed".to_owned(),
            Tally::Expired => "expired".to_owned(),
            Tally::AutoExecuted => "auto_executed".to_owned(),
            Tally::Undone => "undone".to_owned(),
            Tally::Reviewed => "reviewed".to_owned(),
            Tally::ReviewSeconds => "review_seconds".to_owned(),
            Tally::ReviewWithin(bucket) => format!("review_within:{bucket}"),
            Tally::Sent => "sent".to_owned(),
            Tally::Outcome(kind) => format!("outcome:{kind}"),
            Tally::Decided { approved, band } => {
                format!(
                    "decided:{}:{band}",
                    if approved { "approved" } else { "rejected" }
                )
            }
            Tally::AfterAuto(kind) => format!("after_auto:{kind}"),
        }
    }

    /// The tally a stored key names; `None` for one this version does not know.
    pub fn parse(key: &str) -> Option<Tally> {
        let (name, detail) = key.split_once(':').unwrap_or((key, ""));
        Some(match name {
            "proposed" => Tally::Proposed,
            "approved_as_is" => Tally::ApprovedAsIs,
            "approved_edited" => Tally::ApprovedEdited(detail.parse().ok()?),
            "rejected" => Tally::Rejected(detail.parse().ok()?),
            "snoozed" => Tally::Snoozed,
            "expired" => Tally::Expired,
            "auto_executed" => Tally::AutoExecuted,
            "undone" => Tally::Undone,
            "reviewed" => Tally::Reviewed,
            "review_seconds" => Tally::ReviewSeconds,
            "review_within" => Tally::ReviewWithin(detail.parse().ok()?),
            "sent" => Tally::Sent,
            "outcome" => Tally::Outcome(detail.parse().ok()?),
            "after_auto" => Tally::AfterAuto(detail.parse().ok()?),
            "decided" => {
                let (verdict, band) = detail.split_once(':')?;
                let band: u8 = band.parse().ok().filter(|band| *band <= 10)?;
                match verdict {
                    "approved" => Tally::Decided {
                        approved: true,
                        band,
                    },
                    "rejected" => Tally::Decided {
                        approved: false,
                        band,
                    },
                    _ => return None,
                }
            }
            _ => return None,
        })
    }
}

/// What the tallies need to know of one history entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryFacts {
    pub kind: EventKind,
    /// For a proposal: whether its agent sent it at once.
    pub auto_executed_at_once: bool,
    /// For an approval: how much the draft was edited before it (none: not at all).
    pub edit: Option<EditIntensity>,
    pub rejection_reason: Option<RejectionReason>,
    pub outcome: Option<OutcomeKind>,
    /// For a person's first review of the action: seconds since it was proposed.
    pub first_review_seconds: Option<i64>,
    /// Whether a person (not the system or an agent) wrote the entry.
    pub by_person: bool,
    /// The confidence the action was proposed with.
    pub confidence: Confidence,
    /// Whether its agent sent the action alone (auto-executed).
    pub auto_executed_action: bool,
}

/// What one history entry adds to its day: each tally and by how much.
pub fn tallies(facts: &EntryFacts) -> Vec<(Tally, i64)> {
    let mut counted = Vec::new();
    let band = facts.confidence.percent() / 10;
    match facts.kind {
        EventKind::Proposed => {
            counted.push((Tally::Proposed, 1));
            if facts.auto_executed_at_once {
                counted.push((Tally::AutoExecuted, 1));
            }
        }
        EventKind::Approved | EventKind::ApprovedForLater => counted.push((
            match facts.edit {
                None | Some(EditIntensity::Unchanged) => Tally::ApprovedAsIs,
                Some(intensity) => Tally::ApprovedEdited(intensity),
            },
            1,
        )),
        EventKind::Rejected => {
            if let Some(reason) = facts.rejection_reason {
                counted.push((Tally::Rejected(reason), 1));
            }
        }
        EventKind::Snoozed => counted.push((Tally::Snoozed, 1)),
        EventKind::Expired => counted.push((Tally::Expired, 1)),
        EventKind::AutoExecuted => counted.push((Tally::AutoExecuted, 1)),
        // Taken back: it was not approved after all (it may be decided again).
        EventKind::Undone => {
            counted.push((Tally::Undone, 1));
            counted.push((
                match facts.edit {
                    None | Some(EditIntensity::Unchanged) => Tally::ApprovedAsIs,
                    Some(intensity) => Tally::ApprovedEdited(intensity),
                },
                -1,
            ));
            if facts.by_person {
                counted.push((
                    Tally::Decided {
                        approved: true,
                        band,
                    },
                    -1,
                ));
            }
        }
        EventKind::Sent => counted.push((Tally::Sent, 1)),
        EventKind::OutcomeReported => {
            if let Some(kind) = facts.outcome {
                counted.push((Tally::Outcome(kind), 1));
                if facts.auto_executed_action {
                    counted.push((Tally::AfterAuto(kind), 1));
                }
            }
        }
        _ => {}
    }
    match facts.kind {
        EventKind::Approved | EventKind::ApprovedForLater if facts.by_person => {
            counted.push((
                Tally::Decided {
                    approved: true,
                    band,
                },
                1,
            ));
        }
        EventKind::Rejected if facts.by_person => {
            counted.push((
                Tally::Decided {
                    approved: false,
                    band,
                },
                1,
            ));
        }
        _ => {}
    }
    if let Some(seconds) = facts.first_review_seconds {
        let seconds = seconds.max(0);
        counted.push((Tally::Reviewed, 1));
        counted.push((Tally::ReviewSeconds, seconds));
        counted.push((Tally::ReviewWithin(review_bucket(seconds)), 1));
    }
    counted
}

/// Whether a reported outcome is a good one: the customer paid, talked, booked, replied or
/// renewed.
pub const fn is_positive(kind: OutcomeKind) -> bool {
    matches!(
        kind,
        OutcomeKind::PaymentMade
            | OutcomeKind::ConversationStarted
            | OutcomeKind::BookingMade
            | OutcomeKind::Replied
            | OutcomeKind::Renewed
    )
}

/// What was decided, in a day or a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionCounts {
    pub proposed: u64,
    pub approved_as_is: u64,
    pub approved_edited: u64,
    pub rejected: u64,
    pub snoozed: u64,
    pub expired: u64,
    pub auto_executed: u64,
    pub undone: u64,
}

impl DecisionCounts {
    pub fn approved(&self) -> u64 {
        self.approved_as_is + self.approved_edited
    }
}

/// One day of the period (in the location's time zone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayInsight {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: DecisionCounts,
    /// Approved ÷ (approved + rejected) that day; `null` when nothing was decided.
    pub approval_rate: Option<f64>,
    /// Mean seconds from proposal to a person's first review, of that day's first reviews.
    pub average_review_seconds: Option<f64>,
}

/// A period (or one agent's part of it) in sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodTotals {
    #[serde(flatten)]
    pub counts: DecisionCounts,
    pub approval_rate: Option<f64>,
    pub average_review_seconds: Option<f64>,
    /// 90% of first reviews came within this many seconds (told to the histogram's bucket:
    /// 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 1 d, 2 d, 3 d); `null` for none, and for more
    /// than 3 days.
    pub p90_review_seconds: Option<i64>,
}

/// How many approvals had each edit intensity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditCount {
    pub intensity: EditIntensity,
    pub count: u64,
}

/// How many outcomes of a kind were reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeCount {
    pub kind: OutcomeKind,
    pub count: u64,
}

/// One agent over the period, with a sparkline of its daily proposals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentInsight {
    pub agent: AgentSummary,
    pub totals: PeriodTotals,
    /// Proposals per day, oldest first, one per day of the period.
    pub proposed_per_day: Vec<u64>,
}

/// `GET /api/v1/insights`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Insights {
    #[cfg_attr(feature = "openapi", schema(example = 30))]
    pub period_days: u32,
    /// One per day of the period, oldest first, today (in the location's time zone) last.
    pub days: Vec<DayInsight>,
    pub totals: PeriodTotals,
    /// Most frequent first.
    pub rejection_reasons: Vec<ReasonCount>,
    /// Of the period's approvals.
    pub edit_intensity: Vec<EditCount>,
    /// Reported in the period, most frequent first.
    pub outcomes: Vec<OutcomeCount>,
    /// Good outcomes (paid, talked, booked, replied, renewed) per message sent in the period,
    /// at most 1; `null` when nothing was sent.
    pub positive_outcome_share: Option<f64>,
    /// Each agent with activity in the period, by name.
    pub by_agent: Vec<AgentInsight>,
}

/// One stored tally: its day, agent and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TallyRow {
    pub date: NaiveDate,
    pub agent_id: Uuid,
    pub tally: Tally,
    pub value: i64,
}

/// The sums of one slice of the tallies (a day, an agent, the period).
#[derive(Debug, Default, Clone)]
struct Sums(HashMap<Tally, i64>);

impl Sums {
    fn add(&mut self, tally: Tally, value: i64) {
        *self.0.entry(tally).or_default() += value;
    }

    fn get(&self, tally: Tally) -> u64 {
        u64::try_from(self.0.get(&tally).copied().unwrap_or_default()).unwrap_or_default()
    }

    fn counts(&self) -> DecisionCounts {
        let sum = |keep: fn(&Tally) -> bool| -> u64 {
            self.0
                .iter()
                .filter(|(tally, _)| keep(tally))
                .map(|(_, value)| u64::try_from(*value).unwrap_or_default())
                .sum()
        };
        DecisionCounts {
            proposed: self.get(Tally::Proposed),
            approved_as_is: self.get(Tally::ApprovedAsIs),
            approved_edited: sum(|t| matches!(t, Tally::ApprovedEdited(_))),
            rejected: sum(|t| matches!(t, Tally::Rejected(_))),
            snoozed: self.get(Tally::Snoozed),
            expired: self.get(Tally::Expired),
            auto_executed: self.get(Tally::AutoExecuted),
            undone: self.get(Tally::Undone),
        }
    }

    fn average_review_seconds(&self) -> Option<f64> {
        let reviewed = self.get(Tally::Reviewed);
        (reviewed > 0).then(|| self.get(Tally::ReviewSeconds) as f64 / reviewed as f64)
    }

    fn p90_review_seconds(&self) -> Option<i64> {
        let buckets: Vec<u64> = (0..=REVIEW_BUCKETS.len())
            .map(|bucket| self.get(Tally::ReviewWithin(bucket)))
            .collect();
        let total: u64 = buckets.iter().sum();
        if total == 0 {
            return None;
        }
        // The first bucket by which 90% of reviews had come.
        let needed = (total * 9).div_ceil(10);
        let mut seen = 0;
        for (bucket, count) in buckets.iter().enumerate() {
            seen += count;
            if seen >= needed {
                return REVIEW_BUCKETS.get(bucket).copied();
            }
        }
        None
    }

    fn totals(&self) -> PeriodTotals {
        let counts = self.counts();
        PeriodTotals {
            approval_rate: approval_rate(counts.approved(), counts.rejected),
            average_review_seconds: self.average_review_seconds(),
            p90_review_seconds: self.p90_review_seconds(),
            counts,
        }
    }
}

/// The insights of the `period_days` ending on `today`, from the period's tallies; `agents`
/// names the agents (one without a name is left out of `by_agent`).
pub fn assemble(
    rows: &[TallyRow],
    agents: &[AgentSummary],
    today: NaiveDate,
    period_days: u32,
) -> Insights {
    let first = today - Duration::days(i64::from(period_days.max(1)) - 1);
    let dates: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= today).collect();
    let mut by_day: BTreeMap<NaiveDate, Sums> =
        dates.iter().map(|d| (*d, Sums::default())).collect();
    let mut by_agent: HashMap<Uuid, (Sums, BTreeMap<NaiveDate, u64>)> = HashMap::new();
    let mut period = Sums::default();
    for row in rows
        .iter()
        .filter(|row| row.date >= first && row.date <= today)
    {
        if let Some(day) = by_day.get_mut(&row.date) {
            day.add(row.tally, row.value);
        }
        period.add(row.tally, row.value);
        let (agent, per_day) = by_agent.entry(row.agent_id).or_default();
        agent.add(row.tally, row.value);
        if row.tally == Tally::Proposed {
            *per_day.entry(row.date).or_default() += u64::try_from(row.value).unwrap_or_default();
        }
    }
    let days = by_day
        .iter()
        .map(|(date, sums)| {
            let counts = sums.counts();
            DayInsight {
                date: *date,
                approval_rate: approval_rate(counts.approved(), counts.rejected),
                average_review_seconds: sums.average_review_seconds(),
                counts,
            }
        })
        .collect();
    let mut rejection_reasons: Vec<ReasonCount> = RejectionReason::ALL
        .iter()
        .map(|reason| ReasonCount {
            reason: *reason,
            count: period.get(Tally::Rejected(*reason)),
        })
        .filter(|reason| reason.count > 0)
        .collect();
    rejection_reasons.sort_by_key(|reason| std::cmp::Reverse(reason.count));
    let edit_intensity = EditIntensity::ALL
        .iter()
        .map(|intensity| EditCount {
            intensity: *intensity,
            count: match intensity {
                EditIntensity::Unchanged => period.get(Tally::ApprovedAsIs),
                other => period.get(Tally::ApprovedEdited(*other)),
            },
        })
        .collect();
    let mut outcomes: Vec<OutcomeCount> = OutcomeKind::ALL
        .iter()
        .map(|kind| OutcomeCount {
            kind: *kind,
            count: period.get(Tally::Outcome(*kind)),
        })
        .filter(|outcome| outcome.count > 0)
        .collect();
    outcomes.sort_by_key(|outcome| std::cmp::Reverse(outcome.count));
    let sent = period.get(Tally::Sent);
    let positive: u64 = outcomes
        .iter()
        .filter(|outcome| is_positive(outcome.kind))
        .map(|outcome| outcome.count)
        .sum();
    let positive_outcome_share = (sent > 0).then(|| (positive as f64 / sent as f64).min(1.0));
    let mut agents_shown: Vec<AgentInsight> = agents
        .iter()
        .filter_map(|agent| {
            let (sums, per_day) = by_agent.get(&agent.id)?;
            Some(AgentInsight {
                agent: agent.clone(),
                totals: sums.totals(),
                proposed_per_day: dates
                    .iter()
                    .map(|date| per_day.get(date).copied().unwrap_or_default())
                    .collect(),
            })
        })
        .collect();
    agents_shown.sort_by(|a, b| a.agent.name.cmp(&b.agent.name));
    Insights {
        period_days,
        days,
        totals: period.totals(),
        rejection_reasons,
        edit_intensity,
        outcomes,
        positive_outcome_share,
        by_agent: agents_shown,
    }
}

/// One decided action as `GET /api/v1/decisions/export` writes it: what the agent proposed,
/// what went out, and what people and customers made of it, to evaluate or fine-tune agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRecord {
    pub action_id: Uuid,
    pub agent: String,
    pub action_type: crate::ActionType,
    pub channel: Option<crate::Channel>,
    pub confidence: Confidence,
    pub proposed_at: chrono::DateTime<chrono::Utc>,
    /// `approved`, `rejected`, `auto_executed` or `expired`.
    pub decision: crate::ActionStatus,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub rejection_reason: Option<RejectionReason>,
    /// The reviewer's note: the rejection's or the snooze's.
    pub note: Option<String>,
    /// Subject, body (HTML) and script as the agent proposed them, one per line.
    pub proposed_text: String,
    /// The same as it was approved (or as it stands, for one not approved).
    pub final_text: String,
    /// Characters changed between the two (Levenshtein, over the first 2,000 of each).
    pub edit_distance: usize,
    pub edit_intensity: EditIntensity,
    /// The outcomes reported after it, in order, comma-separated.
    pub outcomes: String,
}

/// The edit distance and intensity between a proposed and a final text.
pub fn edit_between(proposed: &str, final_text: &str) -> (usize, EditIntensity) {
    if proposed == final_text {
        return (0, EditIntensity::Unchanged);
    }
    let cut = |text: &str| text.chars().take(EDIT_COMPARED_CHARS).collect::<String>();
    (
        strsim::levenshtein(&cut(proposed), &cut(final_text)),
        edit_intensity(proposed, final_text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("a date")
    }

    fn facts(kind: EventKind) -> EntryFacts {
        EntryFacts {
            kind,
            auto_executed_at_once: false,
            edit: None,
            rejection_reason: None,
            outcome: None,
            first_review_seconds: None,
            by_person: true,
            confidence: Confidence::try_from(87).expect("a confidence"),
            auto_executed_action: false,
        }
    }

    #[test]
    fn edits_are_judged_by_how_much_of_the_text_stayed() {
        let proposed = "Hi Zoë, invoice #1234 is 5 days overdue. Could you settle it this week?";
        assert_eq!(edit_intensity(proposed, proposed), EditIntensity::Unchanged);
        let light = proposed.replace("this week", "by Friday");
        assert_eq!(edit_intensity(proposed, &light), EditIntensity::Light);
        assert_eq!(
            edit_intensity(proposed, "Thanks for being with us — see you at the desk."),
            EditIntensity::Rewritten
        );
    }

    #[test]
    fn an_undo_takes_its_approval_back() {
        let approved = EntryFacts {
            edit: Some(EditIntensity::Light),
            ..facts(EventKind::Approved)
        };
        let undone = EntryFacts {
            edit: Some(EditIntensity::Light),
            ..facts(EventKind::Undone)
        };
        let mut net: HashMap<Tally, i64> = HashMap::new();
        for (tally, value) in tallies(&approved).into_iter().chain(tallies(&undone)) {
            *net.entry(tally).or_default() += value;
        }
        net.retain(|_, value| *value != 0);
        assert_eq!(net, HashMap::from([(Tally::Undone, 1)]));
    }

    #[test]
    fn a_first_review_counts_its_time_in_its_bucket() {
        let reviewed = EntryFacts {
            rejection_reason: Some(RejectionReason::PoorTiming),
            first_review_seconds: Some(1_000),
            ..facts(EventKind::Rejected)
        };
        assert_eq!(
            tallies(&reviewed),
            [
                (Tally::Rejected(RejectionReason::PoorTiming), 1),
                (
                    Tally::Decided {
                        approved: false,
                        band: 8
                    },
                    1
                ),
                (Tally::Reviewed, 1),
                (Tally::ReviewSeconds, 1_000),
                (Tally::ReviewWithin(2), 1),
            ]
        );
        assert_eq!(review_bucket(300), 0);
        assert_eq!(review_bucket(301), 1);
        assert_eq!(review_bucket(1_000_000), REVIEW_BUCKETS.len());
    }

    #[test]
    fn a_period_is_assembled_day_by_day_with_its_rates_and_reasons() {
        let agent = AgentSummary {
            id: Uuid::from_u128(1),
            name: "Due Invoice Reminders".to_owned(),
        };
        let row = |d, tally, value| TallyRow {
            date: day(d),
            agent_id: agent.id,
            tally,
            value,
        };
        let rows = [
            row(28, Tally::Proposed, 4),
            row(28, Tally::ApprovedAsIs, 2),
            row(28, Tally::ApprovedEdited(EditIntensity::Light), 1),
            row(28, Tally::Rejected(RejectionReason::PoorTiming), 1),
            row(30, Tally::Proposed, 1),
            row(30, Tally::Rejected(RejectionReason::AlreadyResolved), 1),
            row(30, Tally::Rejected(RejectionReason::PoorTiming), 1),
            row(30, Tally::Reviewed, 2),
            row(30, Tally::ReviewSeconds, 1_200),
            row(30, Tally::ReviewWithin(1), 1),
            row(30, Tally::ReviewWithin(4), 1),
            row(30, Tally::Sent, 3),
            row(30, Tally::Outcome(OutcomeKind::PaymentMade), 2),
            row(30, Tally::Outcome(OutcomeKind::NoResponse), 1),
            // Before the period: left out.
            row(20, Tally::Proposed, 9),
        ];
        let insights = assemble(&rows, std::slice::from_ref(&agent), day(30), 7);
        assert_eq!(insights.days.len(), 7);
        assert_eq!(insights.days[0].date, day(24));
        let the_28th = &insights.days[4];
        assert_eq!(the_28th.counts.approved(), 3);
        assert_eq!(the_28th.approval_rate, Some(0.75));
        assert_eq!(insights.days[5].counts, DecisionCounts::default());
        assert_eq!(insights.totals.counts.proposed, 5);
        assert_eq!(insights.totals.counts.rejected, 3);
        assert_eq!(insights.totals.average_review_seconds, Some(600.0));
        assert_eq!(insights.totals.p90_review_seconds, Some(7_200));
        assert_eq!(
            insights.rejection_reasons[0],
            ReasonCount {
                reason: RejectionReason::PoorTiming,
                count: 2
            }
        );
        assert_eq!(
            insights.edit_intensity,
            [
                EditCount {
                    intensity: EditIntensity::Unchanged,
                    count: 2
                },
                EditCount {
                    intensity: EditIntensity::Light,
                    count: 1
                },
                EditCount {
                    intensity: EditIntensity::Rewritten,
                    count: 0
                },
            ]
        );
        assert_eq!(insights.positive_outcome_share, Some(2.0 / 3.0));
        assert_eq!(insights.by_agent[0].proposed_per_day, [0, 0, 0, 0, 4, 0, 1]);
    }

    fn any_tally() -> impl Strategy<Value = Tally> {
        prop_oneof![
            Just(Tally::Proposed),
            Just(Tally::ApprovedAsIs),
            proptest::sample::select(EditIntensity::ALL).prop_map(Tally::ApprovedEdited),
            proptest::sample::select(RejectionReason::ALL).prop_map(Tally::Rejected),
            Just(Tally::Snoozed),
            Just(Tally::Undone),
            (0usize..=REVIEW_BUCKETS.len()).prop_map(Tally::ReviewWithin),
            proptest::sample::select(OutcomeKind::ALL).prop_map(Tally::Outcome),
            proptest::sample::select(OutcomeKind::ALL).prop_map(Tally::AfterAuto),
            (any::<bool>(), 0u8..=10)
                .prop_map(|(approved, band)| Tally::Decided { approved, band }),
        ]
    }

    proptest! {
        /// Every tally is stored under a key that reads back as itself.
        #[test]
        fn a_tally_key_reads_back(tally in any_tally()) {
            prop_assert_eq!(Tally::parse(&tally.key()), Some(tally));
        }

        /// The days add up to the period, and the agents' parts add up to the whole.
        #[test]
        fn days_and_agents_add_up_to_the_period(
            rows in proptest::collection::vec((1u32..=30, 0u128..3, any_tally(), 1i64..50), 0..60),
        ) {
            let agents: Vec<AgentSummary> = (0..3u128)
                .map(|n| AgentSummary { id: Uuid::from_u128(n), name: format!("agent {n}") })
                .collect();
            let rows: Vec<TallyRow> = rows
                .into_iter()
                .map(|(d, agent, tally, value)| TallyRow { date: day(d), agent_id: Uuid::from_u128(agent), tally, value })
                .collect();
            let insights = assemble(&rows, &agents, day(30), 30);
            let proposed: u64 = insights.days.iter().map(|d| d.counts.proposed).sum();
            let rejected: u64 = insights.days.iter().map(|d| d.counts.rejected).sum();
            prop_assert_eq!(proposed, insights.totals.counts.proposed);
            prop_assert_eq!(rejected, insights.totals.counts.rejected);
            let by_agent: u64 = insights.by_agent.iter().map(|a| a.totals.counts.approved()).sum();
            prop_assert_eq!(by_agent, insights.totals.counts.approved());
            let reasons: u64 = insights.rejection_reasons.iter().map(|r| r.count).sum();
            prop_assert_eq!(reasons, insights.totals.counts.rejected);
        }
    }
}
