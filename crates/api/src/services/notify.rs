//! Telling reviewers what waits: for a location, each reviewer's digest when its period is due,
//! an immediate email about a critical action or one about to expire, and the team channel's
//! posts about the same — each put in the notices outbox once (its key: the period, or the
//! action and why), for the notices worker to send. `inbox serve` runs it every minute and
//! `inbox digest` once.

use std::collections::{hash_map::Entry, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use inbox_domain::notices::{
    assemble_digest, Digest, DigestLine, NoticeChannel, NoticeKind, DIGEST_LISTED,
    EXPIRING_SOON_HOURS,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{
    decision_links::{link_maker, LinkMaker},
    notice_text::{channel_post, digest_mail, notice_mail, AppLinks},
    ServiceError,
};
use crate::db::{
    self,
    entities::{locations, users},
    notices::NewNotice,
};

/// Critical actions proposed this long ago or less are told about; older ones were told about
/// already, or proposed before anyone asked to be told.
const CRITICAL_LOOKBACK_HOURS: i64 = 24;
/// The most critical or expiring actions one run tells about; the rest go on the next.
const PER_RUN: u64 = 50;

/// What one run put in the outbox.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NotifyReport {
    pub digests: usize,
    pub emails: usize,
    pub channel_posts: usize,
}

impl std::ops::AddAssign for NotifyReport {
    fn add_assign(&mut self, other: NotifyReport) {
        self.digests += other.digests;
        self.emails += other.emails;
        self.channel_posts += other.channel_posts;
    }
}

/// Every location's notices due at `now`; links point into the app at `base_url`.
#[tracing::instrument(skip_all, fields(%now))]
pub async fn run_once(
    db: &DatabaseConnection,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<NotifyReport, ServiceError> {
    let mut report = NotifyReport::default();
    for location in db::notices::locations_to_tell(db).await? {
        report += for_location(db, &location, base_url, now).await?;
    }
    Ok(report)
}

/// Something to tell, before it is written.
enum Due<'a> {
    Digest {
        user: &'a users::Model,
        period: String,
        /// What counts as expiring soon for this reviewer.
        expiring_window: Duration,
    },
    Email {
        user: &'a users::Model,
        kind: NoticeKind,
        line: &'a DigestLine,
    },
    Channel {
        kind: NoticeKind,
        line: &'a DigestLine,
    },
}

impl Due<'_> {
    /// What makes it go once.
    fn key(&self) -> String {
        match self {
            Due::Digest { user, period, .. } => format!("digest:{}:{period}", user.id),
            Due::Email { user, kind, line } => format!("{kind}:{}:{}", user.id, line.action_id),
            Due::Channel { kind, line } => format!("channel:{kind}:{}", line.action_id),
        }
    }
}

fn headline(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Critical => "A critical action waits for review",
        NoticeKind::Expiring => "An action is about to expire",
        NoticeKind::Digest => "What waits for review",
        NoticeKind::AutonomyPaused => "Auto-execute paused",
    }
}

/// Tells the location's admins (by email, whatever their preferences: they decide whom the
/// agents may write to unreviewed) and its team channel that `agent` no longer sends
/// `action_type` alone, and why. Sent by the notices worker like every notice.
pub async fn autonomy_paused(
    db: &DatabaseConnection,
    location: &locations::Model,
    agent: &str,
    action_type: inbox_domain::ActionType,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let subject = format!(
        "Auto-execute paused: {agent} no longer sends {} alone",
        action_type.label()
    );
    let body = format!(
        "{subject}.\n\n{why}\n\nNew proposals of this type wait for review. An admin can enable \
         it again on the Agents page.\n"
    );
    let key = format!(
        "{}:{agent}:{action_type}:{}",
        NoticeKind::AutonomyPaused,
        now.timestamp()
    );
    let html = format!(
        "<p>{}</p>",
        inbox_domain::variables::escape_html(&body).replace('\n', "<br>")
    );
    for admin in db::notices::admins(db, location.id).await? {
        let notice = email(
            location,
            &admin,
            NoticeKind::AutonomyPaused,
            format!("{key}:{}", admin.id),
            subject.clone(),
            body.clone(),
            html.clone(),
        );
        db::notices::enqueue(db, notice, now).await?;
    }
    if location.slack_webhook_url.is_some() {
        let notice = NewNotice {
            location_id: location.id,
            user_id: None,
            channel: NoticeChannel::Slack,
            kind: NoticeKind::AutonomyPaused,
            dedup_key: format!("channel:{key}"),
            recipient: None,
            subject: subject.clone(),
            body_text: format!("{subject}. {why}"),
            body_html: None,
        };
        db::notices::enqueue(db, notice, now).await?;
    }
    Ok(())
}

/// The location's notices due at `now`.
pub async fn for_location(
    db: &DatabaseConnection,
    location: &locations::Model,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<NotifyReport, ServiceError> {
    let zone = location.zone();
    let local = now.with_timezone(&zone).naive_local();
    let reviewers = db::notices::reviewers_with_preferences(db, location.id).await?;
    let mut wanting = Vec::new();
    for user in &reviewers {
        let preferences = db::notices::preferences_of(user)?;
        if preferences.wants_email() {
            wanting.push((user, preferences));
        }
    }
    let channel = location.slack_webhook_url.is_some();
    if wanting.is_empty() && !channel {
        return Ok(NotifyReport::default());
    }
    let soon = now + Duration::hours(EXPIRING_SOON_HOURS);
    let widest = wanting
        .iter()
        .map(|(_, preferences)| preferences.expiring_window())
        .chain(channel.then(|| Duration::hours(EXPIRING_SOON_HOURS)))
        .max()
        .unwrap_or_else(Duration::zero);
    let critical = db::notices::critical_since(
        db,
        location,
        now - Duration::hours(CRITICAL_LOOKBACK_HOURS),
        soon,
        PER_RUN,
    )
    .await?;
    let expiring = db::notices::expiring_between(db, location, now, now + widest, PER_RUN).await?;

    let mut due: Vec<Due<'_>> = Vec::new();
    for (user, preferences) in &wanting {
        if let Some(period) = preferences.due_digest(local) {
            due.push(Due::Digest {
                user,
                period,
                expiring_window: preferences.expiring_window(),
            });
        }
        if preferences.critical_email {
            due.extend(critical.iter().map(|line| Due::Email {
                user,
                kind: NoticeKind::Critical,
                line,
            }));
        }
        if preferences.expiring_email {
            let until = now + preferences.expiring_window();
            due.extend(
                expiring
                    .iter()
                    .filter(|line| line.expires_at <= until)
                    .map(|line| Due::Email {
                        user,
                        kind: NoticeKind::Expiring,
                        line,
                    }),
            );
        }
    }
    if channel {
        due.extend(critical.iter().map(|line| Due::Channel {
            kind: NoticeKind::Critical,
            line,
        }));
        due.extend(
            expiring
                .iter()
                .filter(|line| line.expires_at <= soon)
                .map(|line| Due::Channel {
                    kind: NoticeKind::Expiring,
                    line,
                }),
        );
    }
    let keys: Vec<String> = due.iter().map(Due::key).collect();
    let queued = db::notices::already_queued(db, location.id, &keys).await?;
    let due: Vec<(Due<'_>, String)> = due
        .into_iter()
        .zip(keys)
        .filter(|(_, key)| !queued.contains(key))
        .collect();
    if due.is_empty() {
        return Ok(NotifyReport::default());
    }

    let app = AppLinks {
        inbox: format!("{base_url}/"),
        settings: format!("{base_url}/settings"),
    };
    let agents: Vec<(Uuid, String)> = db::agents::list(db, location.id)
        .await?
        .into_iter()
        .map(|agent| (agent.id, agent.name))
        .collect();
    let agent_name = |id: Uuid| {
        agents
            .iter()
            .find(|(agent_id, _)| *agent_id == id)
            .map_or("Unknown agent", |(_, name)| name.as_str())
    };
    let mut report = NotifyReport::default();
    let mut told: HashSet<String> = HashSet::new();
    // Reviewers with the same window get the same digest, and each reviewer's links are signed
    // with one key: each is read once a run, not once a notice.
    let mut digests: HashMap<DateTime<Utc>, Option<Digest>> = HashMap::new();
    let mut makers: HashMap<Uuid, LinkMaker<'_>> = HashMap::new();
    for (item, key) in due {
        if !told.insert(key.clone()) {
            continue;
        }
        let notice = match item {
            Due::Digest {
                user,
                expiring_window,
                ..
            } => {
                let until = now + expiring_window;
                let digest = match digests.entry(until) {
                    Entry::Occupied(kept) => kept.into_mut(),
                    Entry::Vacant(slot) => {
                        slot.insert(digest_until(db, location, until, &agents).await?)
                    }
                };
                // Nothing waits: no digest this time; a daily one goes later that day once
                // something does.
                let Some(digest) = digest else {
                    continue;
                };
                let maker = maker_of(&mut makers, db, user, base_url, now).await?;
                let links = |line: &DigestLine| maker.links(line.action_id, line.version);
                let (subject, text, html) = digest_mail(&location.name, digest, &links, &app, zone);
                email(location, user, NoticeKind::Digest, key, subject, text, html)
            }
            Due::Email { user, kind, line } => {
                let maker = maker_of(&mut makers, db, user, base_url, now).await?;
                let links = maker.links(line.action_id, line.version);
                let (subject, text, html) = notice_mail(
                    headline(kind),
                    line,
                    agent_name(line.agent_id),
                    &links,
                    &app,
                    zone,
                );
                email(location, user, kind, key, subject, text, html)
            }
            Due::Channel { kind, line } => {
                let open = format!("{base_url}/?open={}", line.action_id);
                let text =
                    channel_post(headline(kind), line, agent_name(line.agent_id), &open, zone);
                NewNotice {
                    location_id: location.id,
                    user_id: None,
                    channel: NoticeChannel::Slack,
                    kind,
                    dedup_key: key,
                    recipient: None,
                    subject: headline(kind).to_owned(),
                    body_text: text,
                    body_html: None,
                }
            }
        };
        let (channel, kind) = (notice.channel, notice.kind);
        // Another replica's run (or `inbox digest`) may have put it there meanwhile.
        if db::notices::enqueue(db, notice, now).await? {
            match (channel, kind) {
                (NoticeChannel::Slack, _) => report.channel_posts += 1,
                (_, NoticeKind::Digest) => report.digests += 1,
                _ => report.emails += 1,
            }
        }
    }
    Ok(report)
}

/// What waits in the location, listing what expires by `until` first; none when nothing waits.
async fn digest_until(
    db: &DatabaseConnection,
    location: &locations::Model,
    until: DateTime<Utc>,
    agents: &[(Uuid, String)],
) -> Result<Option<Digest>, ServiceError> {
    let counts = db::notices::waiting_counts(db, location.id, until).await?;
    if counts.iter().all(|count| count.waiting == 0) {
        return Ok(None);
    }
    let lines = db::notices::expiring_first(db, location, until, DIGEST_LISTED as u64).await?;
    Ok(Some(assemble_digest(&counts, lines, agents)))
}

/// `user`'s link maker, made once a run.
async fn maker_of<'m, 'a>(
    makers: &'m mut HashMap<Uuid, LinkMaker<'a>>,
    db: &DatabaseConnection,
    user: &users::Model,
    base_url: &'a str,
    now: DateTime<Utc>,
) -> Result<&'m LinkMaker<'a>, ServiceError> {
    Ok(match makers.entry(user.id) {
        Entry::Occupied(kept) => kept.into_mut(),
        Entry::Vacant(slot) => slot.insert(link_maker(db, user, base_url, now).await?),
    })
}

/// An email to `user`.
fn email(
    location: &locations::Model,
    user: &users::Model,
    kind: NoticeKind,
    dedup_key: String,
    subject: String,
    body_text: String,
    body_html: String,
) -> NewNotice {
    NewNotice {
        location_id: location.id,
        user_id: Some(user.id),
        channel: NoticeChannel::Email,
        kind,
        dedup_key,
        recipient: Some(user.email.clone()),
        subject,
        body_text,
        body_html: Some(body_html),
    }
}
