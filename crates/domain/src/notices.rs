//! Telling reviewers what waits for them where they are: each reviewer's notification
//! preferences, when their digest is due, which actions call for a notice at once, and how a
//! digest groups what waits. Composing and sending are the server's; these are the rules.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{problem::FieldErrors, FieldError, Priority};

/// The local hour a daily digest leaves at unless the reviewer picks another.
pub const DEFAULT_DIGEST_HOUR: u8 = 8;
/// How close to its expiry an action must be for a reviewer's "about to expire" notice.
pub const DEFAULT_EXPIRING_WINDOW_HOURS: u32 = 4;
pub const MAX_EXPIRING_WINDOW_HOURS: u32 = 72;
/// What "expiring soon" means where no reviewer chose: the metrics bar, the list's mark and the
/// team channel.
pub const EXPIRING_SOON_HOURS: i64 = 4;
/// How long a one-click decision link can be used after it was sent.
pub const LINK_HOURS: i64 = 72;
/// The most actions a digest lists one by one, with their links; the rest are counted.
pub const DIGEST_LISTED: usize = 25;

/// When a reviewer's digest of what waits leaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DigestFrequency {
    #[default]
    Off,
    /// At the start of every hour in which something waits.
    Hourly,
    /// Once a day at `digest_hour`, in the location's time zone.
    Daily,
}

/// What a reviewer is told, and how (`GET`/`PUT /api/v1/me/notifications`). Everything is off
/// until the reviewer turns it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"digest": "daily", "digest_hour": 8, "critical_email": true, "expiring_email": true, "expiring_window_hours": 4, "browser": true})))]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    /// An email listing what waits for review, grouped by agent.
    pub digest: DigestFrequency,
    /// The local hour (0–23, the location's time zone) a daily digest leaves at.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 23, example = 8))]
    pub digest_hour: u8,
    /// An email as soon as a `critical` action waits.
    pub critical_email: bool,
    /// An email when a waiting action is about to expire.
    pub expiring_email: bool,
    /// How close to its expiry an action must be for that email, in hours.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 72, example = 4))]
    pub expiring_window_hours: u32,
    /// Browser notifications while the app is open in a background tab.
    pub browser: bool,
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        NotificationPreferences {
            digest: DigestFrequency::Off,
            digest_hour: DEFAULT_DIGEST_HOUR,
            critical_email: false,
            expiring_email: false,
            expiring_window_hours: DEFAULT_EXPIRING_WINDOW_HOURS,
            browser: false,
        }
    }
}

impl NotificationPreferences {
    /// Checks the ranges the types cannot say.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        if self.digest_hour > 23 {
            errors.add("digest_hour", "must be an hour from 0 to 23");
        }
        if !(1..=MAX_EXPIRING_WINDOW_HOURS).contains(&self.expiring_window_hours) {
            errors.add(
                "expiring_window_hours",
                format!("must be from 1 to {MAX_EXPIRING_WINDOW_HOURS} hours"),
            );
        }
        errors.finish(())
    }

    /// Whether any email is wanted at all.
    pub fn wants_email(&self) -> bool {
        self.digest != DigestFrequency::Off || self.critical_email || self.expiring_email
    }

    /// The digest period due at `local` (the location's wall clock), named so that one period
    /// is sent at most once: every hour for an hourly digest; for a daily one, from its hour to
    /// the end of that day (a server that was down at the hour still sends it when it is back,
    /// but never yesterday's). `None` when no digest is due.
    pub fn due_digest(&self, local: NaiveDateTime) -> Option<String> {
        match self.digest {
            DigestFrequency::Off => None,
            DigestFrequency::Hourly => Some(format!("hourly:{}", local.format("%Y-%m-%dT%H"))),
            DigestFrequency::Daily => (local.hour() >= u32::from(self.digest_hour))
                .then(|| format!("daily:{}", local.format("%Y-%m-%d"))),
        }
    }

    pub fn expiring_window(&self) -> Duration {
        Duration::hours(i64::from(self.expiring_window_hours))
    }
}

crate::action::wire_enum! {
    /// What a notice is about.
    pub enum NoticeKind {
        /// What waits for review, grouped by agent.
        Digest => ("digest", "Digest"),
        /// A `critical` action waits.
        Critical => ("critical", "Critical action"),
        /// A waiting action is about to expire.
        Expiring => ("expiring", "About to expire"),
        /// An agent lost sending a type alone (earned autonomy's demotion): told to admins.
        AutonomyPaused => ("autonomy_paused", "Auto-execute paused"),
    }
}

crate::action::wire_enum! {
    /// Where a notice goes.
    pub enum NoticeChannel {
        /// To a reviewer's address.
        Email => ("email", "Email"),
        /// To the location's team-channel webhook.
        Slack => ("slack", "Team channel"),
    }
}

/// A notice as its reviewer sees it (`GET /api/v1/me/notices`): what the outbox sent them, or
/// kept for them in the built-in outbox when no SMTP server is configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub id: Uuid,
    pub kind: NoticeKind,
    pub subject: String,
    /// The plain-text body, links included.
    pub body_text: String,
    pub state: crate::delivery::DeliveryState,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Whether `expires_at` falls within `window` of `now` (and has not passed).
pub fn expiring_within(expires_at: DateTime<Utc>, now: DateTime<Utc>, window: Duration) -> bool {
    expires_at > now && expires_at <= now + window
}

/// How many actions of one agent and priority wait, and how many of them expire soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingCount {
    pub agent_id: Uuid,
    pub priority: Priority,
    pub waiting: u64,
    pub expiring_soon: u64,
}

/// One waiting action a digest lists with its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestLine {
    pub action_id: Uuid,
    pub version: i32,
    pub agent_id: Uuid,
    pub subject: String,
    pub customer: String,
    pub priority: Priority,
    pub expires_at: DateTime<Utc>,
    pub expiring_soon: bool,
}

/// One agent's part of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestGroup {
    pub agent: String,
    pub waiting: u64,
    pub expiring_soon: u64,
    /// Waiting per priority, most urgent first, the priorities with none left out.
    pub by_priority: Vec<(Priority, u64)>,
    /// The actions listed one by one, those expiring first first.
    pub listed: Vec<DigestLine>,
}

/// What a digest says: what waits, grouped by agent (by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub waiting: u64,
    pub expiring_soon: u64,
    pub groups: Vec<DigestGroup>,
}

impl Digest {
    /// Waiting actions that are not listed one by one.
    pub fn unlisted(&self) -> u64 {
        let listed: usize = self.groups.iter().map(|group| group.listed.len()).sum();
        self.waiting.saturating_sub(listed as u64)
    }
}

/// The digest of `counts` (what waits, per agent and priority), listing `lines` (the most
/// urgent, at most [`DIGEST_LISTED`]) under their agents; `agents` names them.
pub fn assemble_digest(
    counts: &[WaitingCount],
    lines: Vec<DigestLine>,
    agents: &[(Uuid, String)],
) -> Digest {
    let name_of = |id: Uuid| {
        agents
            .iter()
            .find(|(agent_id, _)| *agent_id == id)
            .map_or_else(|| "Unknown agent".to_owned(), |(_, name)| name.clone())
    };
    let mut agent_ids: Vec<Uuid> = counts.iter().map(|count| count.agent_id).collect();
    agent_ids.sort();
    agent_ids.dedup();
    let mut lines = lines;
    lines.truncate(DIGEST_LISTED);
    let mut groups: Vec<DigestGroup> = agent_ids
        .into_iter()
        .map(|agent_id| {
            let of_agent = || {
                counts
                    .iter()
                    .filter(move |count| count.agent_id == agent_id)
            };
            let mut by_priority: Vec<(Priority, u64)> = Priority::ALL
                .iter()
                .rev()
                .map(|priority| {
                    let waiting = of_agent()
                        .filter(|count| count.priority == *priority)
                        .map(|count| count.waiting)
                        .sum();
                    (*priority, waiting)
                })
                .collect();
            by_priority.retain(|(_, waiting)| *waiting > 0);
            let mut listed: Vec<DigestLine> = lines
                .iter()
                .filter(|line| line.agent_id == agent_id)
                .cloned()
                .collect();
            listed.sort_by_key(|line| (line.expires_at, line.action_id));
            DigestGroup {
                agent: name_of(agent_id),
                waiting: of_agent().map(|count| count.waiting).sum(),
                expiring_soon: of_agent().map(|count| count.expiring_soon).sum(),
                by_priority,
                listed,
            }
        })
        .filter(|group| group.waiting > 0)
        .collect();
    groups.sort_by(|a, b| a.agent.cmp(&b.agent));
    Digest {
        waiting: groups.iter().map(|group| group.waiting).sum(),
        expiring_soon: groups.iter().map(|group| group.expiring_soon).sum(),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    use super::*;

    fn at(hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 4)
            .and_then(|day| day.and_hms_opt(hour, minute, 0))
            .expect("a valid time")
    }

    fn daily(hour: u8) -> NotificationPreferences {
        NotificationPreferences {
            digest: DigestFrequency::Daily,
            digest_hour: hour,
            ..NotificationPreferences::default()
        }
    }

    #[test]
    fn a_daily_digest_is_due_from_its_hour_to_the_end_of_the_day() {
        assert_eq!(daily(8).due_digest(at(7, 59)), None);
        assert_eq!(
            daily(8).due_digest(at(8, 0)),
            Some("daily:2026-12-04".into())
        );
        assert_eq!(
            daily(8).due_digest(at(23, 59)),
            Some("daily:2026-12-04".into())
        );
        assert_eq!(
            daily(0).due_digest(at(0, 0)),
            Some("daily:2026-12-04".into())
        );
    }

    #[test]
    fn an_hourly_digest_names_its_hour_and_off_is_never_due() {
        let hourly = NotificationPreferences {
            digest: DigestFrequency::Hourly,
            ..NotificationPreferences::default()
        };
        assert_eq!(
            hourly.due_digest(at(14, 30)),
            Some("hourly:2026-12-04T14".into())
        );
        assert_eq!(hourly.due_digest(at(14, 59)), hourly.due_digest(at(14, 0)));
        assert_ne!(hourly.due_digest(at(15, 0)), hourly.due_digest(at(14, 59)));
        assert_eq!(
            NotificationPreferences::default().due_digest(at(9, 0)),
            None
        );
    }

    #[test]
    fn preferences_out_of_range_name_their_fields() {
        let wrong = NotificationPreferences {
            digest_hour: 24,
            expiring_window_hours: 0,
            ..NotificationPreferences::default()
        };
        let errors = wrong.validate().expect_err("out of range");
        let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["digest_hour", "expiring_window_hours"]);
        assert!(NotificationPreferences::default().validate().is_ok());
        assert!(!NotificationPreferences::default().wants_email());
        assert!(daily(8).wants_email());
    }

    #[test]
    fn expiring_means_within_the_window_and_not_yet_passed() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 4, 12, 0, 0)
            .single()
            .expect("a time");
        let window = Duration::hours(4);
        assert!(expiring_within(now + Duration::hours(4), now, window));
        assert!(expiring_within(now + Duration::minutes(1), now, window));
        assert!(!expiring_within(
            now + Duration::hours(4) + Duration::seconds(1),
            now,
            window
        ));
        assert!(!expiring_within(now, now, window));
    }

    fn line(agent_id: Uuid, expires_in_hours: i64, n: u128) -> DigestLine {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 4, 12, 0, 0)
            .single()
            .expect("a time");
        DigestLine {
            action_id: Uuid::from_u128(n),
            version: 1,
            agent_id,
            subject: format!("Action {n}"),
            customer: "Ravi Patel".into(),
            priority: Priority::High,
            expires_at: now + Duration::hours(expires_in_hours),
            expiring_soon: expires_in_hours <= 4,
        }
    }

    #[test]
    fn a_digest_groups_by_agent_name_with_counts_per_priority() {
        let (billing, leads) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let agents = [(billing, "Billing".to_owned()), (leads, "Leads".to_owned())];
        let counts = [
            WaitingCount {
                agent_id: leads,
                priority: Priority::Low,
                waiting: 3,
                expiring_soon: 0,
            },
            WaitingCount {
                agent_id: billing,
                priority: Priority::Critical,
                waiting: 2,
                expiring_soon: 1,
            },
            WaitingCount {
                agent_id: billing,
                priority: Priority::Medium,
                waiting: 5,
                expiring_soon: 0,
            },
        ];
        let digest = assemble_digest(
            &counts,
            vec![
                line(billing, 30, 10),
                line(billing, 2, 11),
                line(leads, 9, 12),
            ],
            &agents,
        );
        assert_eq!((digest.waiting, digest.expiring_soon), (10, 1));
        let names: Vec<&str> = digest.groups.iter().map(|g| g.agent.as_str()).collect();
        assert_eq!(names, ["Billing", "Leads"]);
        assert_eq!(
            digest.groups[0].by_priority,
            [(Priority::Critical, 2), (Priority::Medium, 5)]
        );
        let listed: Vec<u128> = digest.groups[0]
            .listed
            .iter()
            .map(|line| line.action_id.as_u128())
            .collect();
        assert_eq!(listed, [11, 10], "what expires first is listed first");
        assert_eq!(digest.unlisted(), 7);
    }

    proptest! {
        #[test]
        fn a_digest_counts_everything_that_waits_and_lists_at_most_its_share(
            counts in proptest::collection::vec((0u128..4, 0usize..4, 0u64..50, 0u64..5), 0..12),
            lines in 0usize..60,
        ) {
            let counts: Vec<WaitingCount> = counts
                .into_iter()
                .map(|(agent, priority, waiting, soon)| WaitingCount {
                    agent_id: Uuid::from_u128(agent),
                    priority: Priority::ALL[priority],
                    waiting,
                    expiring_soon: soon.min(waiting),
                })
                .collect();
            let lines: Vec<DigestLine> = (0..lines)
                .map(|n| line(Uuid::from_u128(n as u128 % 4), n as i64, n as u128 + 100))
                .collect();
            let digest = assemble_digest(&counts, lines, &[]);
            let waiting: u64 = counts.iter().map(|count| count.waiting).sum();
            prop_assert_eq!(digest.waiting, waiting);
            let listed: usize = digest.groups.iter().map(|group| group.listed.len()).sum();
            prop_assert!(listed <= DIGEST_LISTED);
            prop_assert!(digest.groups.iter().all(|group| group.waiting > 0));
        }
    }
}
