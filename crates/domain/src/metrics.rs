//! The five numbers of the metrics bar, defined once for the server and the client.

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// "Approved today" and "Rejected today" count decisions in this trailing window.
pub fn today_window() -> Duration {
    Duration::hours(24)
}

/// Average review time and approval rate are tracked over this trailing window.
pub fn tracking_window() -> Duration {
    Duration::days(7)
}

/// Approved ÷ (approved + rejected), or `None` when nothing was decided.
pub fn approval_rate(approved: u64, rejected: u64) -> Option<f64> {
    let decided = approved + rejected;
    (decided > 0).then(|| approved as f64 / decided as f64)
}

/// The metrics bar at the top of the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Metrics {
    /// Actions in `pending` now.
    #[cfg_attr(feature = "openapi", schema(example = 23))]
    pub pending_review: u64,
    /// Of those, the ones that expire within the next 4 hours
    /// ([`crate::notices::EXPIRING_SOON_HOURS`]): the list's `expires_to` filter shows them.
    #[cfg_attr(feature = "openapi", schema(example = 3))]
    pub expiring_soon: u64,
    /// Actions approved by a reviewer in the last 24 hours.
    #[cfg_attr(feature = "openapi", schema(example = 41))]
    pub approved_today: u64,
    /// Actions rejected by a reviewer in the last 24 hours.
    #[cfg_attr(feature = "openapi", schema(example = 6))]
    pub rejected_today: u64,
    /// Mean seconds from creation to first review (approve, reject or snooze by a person) over
    /// actions first reviewed in the last 7 days; `null` when there are none.
    #[cfg_attr(feature = "openapi", schema(example = 5400.0))]
    pub avg_review_time_seconds: Option<f64>,
    /// Approved ÷ (approved + rejected) over decisions in the last 7 days, from 0 to 1;
    /// `null` when there are none.
    #[cfg_attr(
        feature = "openapi",
        schema(example = 0.87, minimum = 0.0, maximum = 1.0)
    )]
    pub approval_rate: Option<f64>,
    /// The same per agent, so a reviewer sees which agent needs tuning.
    pub by_agent: Vec<AgentMetrics>,
}

/// One agent's numbers: the five of the metrics bar, plus its 7-day decisions and the reasons
/// its actions were rejected, so a reviewer sees which agent needs tuning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentMetrics {
    pub agent: crate::dto::AgentSummary,
    #[cfg_attr(feature = "openapi", schema(example = 7))]
    pub pending_review: u64,
    #[cfg_attr(feature = "openapi", schema(example = 4))]
    pub approved_today: u64,
    #[cfg_attr(feature = "openapi", schema(example = 1))]
    pub rejected_today: u64,
    #[cfg_attr(feature = "openapi", schema(example = 3600.0))]
    pub avg_review_time_seconds: Option<f64>,
    /// Approved in the last 7 days.
    #[cfg_attr(feature = "openapi", schema(example = 12))]
    pub approved: u64,
    /// Rejected in the last 7 days.
    #[cfg_attr(feature = "openapi", schema(example = 3))]
    pub rejected: u64,
    #[cfg_attr(feature = "openapi", schema(example = 0.8))]
    pub approval_rate: Option<f64>,
    /// The most frequent reasons, most frequent first (at most three).
    pub top_rejection_reasons: Vec<ReasonCount>,
}

/// How often a rejection reason was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonCount {
    pub reason: crate::RejectionReason,
    #[cfg_attr(feature = "openapi", schema(example = 2))]
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn approval_rate_is_none_without_decisions() {
        assert_eq!(approval_rate(0, 0), None);
        assert_eq!(approval_rate(3, 1), Some(0.75));
    }

    proptest! {
        #[test]
        fn approval_rate_is_a_fraction(approved in 0u64..10_000, rejected in 0u64..10_000) {
            if let Some(rate) = approval_rate(approved, rejected) {
                prop_assert!((0.0..=1.0).contains(&rate));
                prop_assert_eq!(rate == 1.0, rejected == 0);
            }
        }
    }
}
