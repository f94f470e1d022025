//! One-click decisions from a notice: a signed, single-use, expiring link bound to a reviewer,
//! an action and the version they were told of. Opening it (`GET`) decides nothing — mail
//! scanners and link prefetchers open links — and shows the action with one button; the
//! button's `POST` decides, as the reviewer, "from email", through the same review as the app
//! (the undo window, the safeguards' confirmations, the version check). A reviewer replaces
//! their signing key to revoke every link they were sent.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use inbox_domain::{
    dto::{ApproveAction, RejectAction, SnoozeAction},
    notices::LINK_HOURS,
    safeguards::ReviewWarning,
    ActionStatus, RejectionReason, SnoozeDuration,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use super::{
    notice_text::{ActionLinks, LinkAction, LinkForm},
    review::{self, ReviewRequest},
    Actor, Context, ServiceError,
};
use crate::{
    bus::EventBus,
    db::{
        self,
        entities::{actions, users},
    },
};

/// What a link decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkVerb {
    Approve,
    Reject,
    Snooze,
}

impl LinkVerb {
    const fn as_str(self) -> &'static str {
        match self {
            LinkVerb::Approve => "approve",
            LinkVerb::Reject => "reject",
            LinkVerb::Snooze => "snooze",
        }
    }
}

/// What a link's token says, signed. Short names keep links short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    /// The link's own id: used once.
    #[serde(rename = "n")]
    pub nonce: Uuid,
    #[serde(rename = "u")]
    pub user_id: Uuid,
    #[serde(rename = "a")]
    pub action_id: Uuid,
    /// The version the reviewer was told of: a link for an action that moved on decides
    /// nothing.
    #[serde(rename = "v")]
    pub version: i32,
    #[serde(rename = "d")]
    pub verb: LinkVerb,
    /// Unix seconds after which it no longer works.
    #[serde(rename = "x")]
    pub expires: i64,
}

fn mac(secret: &str, payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(payload.as_bytes());
    mac
}

/// The token of `claims`, signed with `secret`: `payload.signature`, both base64url.
pub fn sign(secret: &str, claims: &LinkClaims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// What `token` claims, not yet checked (to find whose key checks it).
fn claims_of(token: &str) -> Option<(LinkClaims, &str, &str)> {
    let (payload, signature) = token.split_once('.')?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    Some((serde_json::from_slice(&bytes).ok()?, payload, signature))
}

/// Whether `signature` signs `payload` with `secret` (in constant time).
fn verified(secret: &str, payload: &str, signature: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(signature)
        .is_ok_and(|signature| mac(secret, payload).verify_slice(&signature).is_ok())
}

/// A fresh signing key.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Makes the links of the actions one reviewer is told about.
pub struct LinkMaker<'a> {
    pub secret: String,
    pub user_id: Uuid,
    pub base_url: &'a str,
    pub now: DateTime<Utc>,
}

impl LinkMaker<'_> {
    /// The links of action `id` at `version`.
    pub fn links(&self, id: Uuid, version: i32) -> ActionLinks {
        let expires = (self.now + Duration::hours(LINK_HOURS)).timestamp();
        let link = |verb| {
            let claims = LinkClaims {
                nonce: Uuid::now_v7(),
                user_id: self.user_id,
                action_id: id,
                version,
                verb,
                expires,
            };
            format!("{}/decide/{}", self.base_url, sign(&self.secret, &claims))
        };
        ActionLinks {
            open: format!("{}/?open={id}", self.base_url),
            approve: link(LinkVerb::Approve),
            reject: link(LinkVerb::Reject),
            snooze: link(LinkVerb::Snooze),
        }
    }
}

/// The link maker of `user`, making their signing key the first time.
pub async fn link_maker<'a>(
    db: &sea_orm::DatabaseConnection,
    user: &users::Model,
    base_url: &'a str,
    now: DateTime<Utc>,
) -> Result<LinkMaker<'a>, ServiceError> {
    let secret = match &user.link_secret {
        Some(secret) => secret.clone(),
        None => db::notices::link_secret(db, user.id, new_secret())
            .await?
            .ok_or_else(|| ServiceError::NotFound("the reviewer is gone".to_owned()))?,
    };
    Ok(LinkMaker {
        secret,
        user_id: user.id,
        base_url,
        now,
    })
}

/// Why a link decides nothing. Each is a page that says so; nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Altered, revoked, or not a link at all.
    NotValid,
    Expired,
    Used,
    /// The action moved on since the notice (decided, edited, snoozed, expired).
    Stale {
        status: ActionStatus,
        open: String,
    },
}

impl LinkRefusal {
    /// The page's title and message.
    pub fn explain(&self) -> (&'static str, String) {
        match self {
            LinkRefusal::NotValid => (
                "This link does not work",
                "It was revoked, or it is not the link you were sent. Nothing was changed; \
                 open AI Inbox to review the action."
                    .to_owned(),
            ),
            LinkRefusal::Expired => (
                "This link has expired",
                format!(
                    "Links work for {LINK_HOURS} hours. Nothing was changed; open AI Inbox to \
                     review the action."
                ),
            ),
            LinkRefusal::Used => (
                "This link was already used",
                "It decides once. Nothing more was changed.".to_owned(),
            ),
            LinkRefusal::Stale { status, .. } => (
                "This action changed since you were told",
                format!(
                    "It is {} now. Nothing was changed; open it in AI Inbox to see where it \
                     stands.",
                    status.label().to_lowercase()
                ),
            ),
        }
    }

    pub fn open(&self) -> Option<&str> {
        match self {
            LinkRefusal::Stale { open, .. } => Some(open),
            _ => None,
        }
    }
}

/// A link that checked out: whose, for which action as it stands.
pub struct CheckedLink {
    pub claims: LinkClaims,
    pub user: users::Model,
    pub location: db::entities::locations::Model,
    pub action: actions::Model,
}

/// Checks `token` at `now`: signed with its reviewer's current key, not expired, not used, for
/// an action of their location still at the version they were told of.
pub async fn check(
    db: &sea_orm::DatabaseConnection,
    token: &str,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Result<CheckedLink, LinkRefusal>, ServiceError> {
    let Some((claims, payload, signature)) = claims_of(token) else {
        return Ok(Err(LinkRefusal::NotValid));
    };
    let Some(user) = db::notices::user(db, claims.user_id).await? else {
        return Ok(Err(LinkRefusal::NotValid));
    };
    let signed = user
        .link_secret
        .as_deref()
        .is_some_and(|secret| verified(secret, payload, signature));
    if !signed {
        return Ok(Err(LinkRefusal::NotValid));
    }
    if now.timestamp() > claims.expires {
        return Ok(Err(LinkRefusal::Expired));
    }
    if db::notices::link_used(db, claims.nonce).await? {
        return Ok(Err(LinkRefusal::Used));
    }
    let Some(location) = db::locations::find(db, user.location_id).await? else {
        return Ok(Err(LinkRefusal::NotValid));
    };
    let Some(action) = db::actions::find(db, location.id, claims.action_id).await? else {
        return Ok(Err(LinkRefusal::NotValid));
    };
    // The status as the reviewer would see it now: a snooze that ran out is pending again.
    if action.version != claims.version || action.status != ActionStatus::Pending {
        let status = db::actions::lifecycle_of(&action).status_at(now);
        return Ok(Err(LinkRefusal::Stale {
            status,
            open: format!("{base_url}/?open={}", action.id),
        }));
    }
    Ok(Ok(CheckedLink {
        claims,
        user,
        location,
        action,
    }))
}

/// What the page of a checked link shows.
pub fn page_action(
    action: &actions::Model,
    location: &db::entities::locations::Model,
) -> LinkAction {
    let zone = location.zone();
    let draft = action
        .body
        .as_deref()
        .map(|body| html2text::from_read(body.as_bytes(), 80).unwrap_or_default())
        .or_else(|| action.script.clone())
        .unwrap_or_default();
    let preview: String = draft.chars().take(600).collect();
    LinkAction {
        subject: db::notices::subject_of(action, &location.name),
        customer: action.customer_name.clone(),
        agent: action.agent_name.clone(),
        priority: action.priority.label(),
        expires: super::notice_text::local_time(action.expires_at, zone),
        preview,
    }
}

/// The form of a checked link, with the warnings an approval would meet now.
pub async fn page_form(
    db: &sea_orm::DatabaseConnection,
    bus: &EventBus,
    link: &CheckedLink,
    now: DateTime<Utc>,
) -> Result<LinkForm, ServiceError> {
    let ctx = context(db, bus, link, now);
    let customer = db::actions::customer_of(db, &link.action).await?;
    let request = request(link, &LinkDecision::default());
    let warnings = review::warnings_for(&ctx, &link.action, &customer, &request).await?;
    let verb = link.claims.verb;
    Ok(LinkForm {
        verb: verb.as_str(),
        button: match verb {
            LinkVerb::Approve => "Approve & send".to_owned(),
            LinkVerb::Reject => "Reject".to_owned(),
            LinkVerb::Snooze => "Snooze".to_owned(),
        },
        reviewer: link.user.name.clone(),
        warnings,
        reasons: RejectionReason::ALL
            .iter()
            .map(|reason| (reason.as_str(), reason.label()))
            .collect(),
        durations: SnoozeDuration::ALL
            .iter()
            .map(|duration| (duration.as_str(), duration.label()))
            .collect(),
    })
}

/// What the page's form sends.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LinkDecision {
    #[serde(default)]
    pub reason: Option<RejectionReason>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub duration: Option<SnoozeDuration>,
    #[serde(default)]
    pub acknowledged: Vec<ReviewWarning>,
}

fn context<'a>(
    db: &'a sea_orm::DatabaseConnection,
    bus: &'a EventBus,
    link: &'a CheckedLink,
    now: DateTime<Utc>,
) -> Context<'a> {
    Context {
        db,
        bus,
        location: &link.location,
        actor: Actor(format!("user:{}", link.user.id)),
        agent_key: None,
        now,
        undo_window: Duration::zero(),
        claim: None,
    }
}

fn request(link: &CheckedLink, form: &LinkDecision) -> ReviewRequest {
    let expected_version = Some(link.claims.version);
    let acknowledged = form.acknowledged.clone();
    match link.claims.verb {
        LinkVerb::Approve => ReviewRequest::Approve(ApproveAction {
            expected_version,
            subject: None,
            body: None,
            script: None,
            acknowledged,
        }),
        LinkVerb::Reject => ReviewRequest::Reject(RejectAction {
            expected_version,
            reason: form.reason.unwrap_or(RejectionReason::Other),
            note: form.note.clone().filter(|note| !note.trim().is_empty()),
            acknowledged,
        }),
        LinkVerb::Snooze => ReviewRequest::Snooze(SnoozeAction {
            expected_version,
            duration: Some(form.duration.unwrap_or(SnoozeDuration::OneDay)),
            until: None,
            note: None,
            acknowledged,
        }),
    }
}

/// Decides with a checked link, once: as its reviewer, recorded as from email, within the same
/// rules as the app (`undo_window` included). The link is marked used when the decision is
/// written; the version it is bound to makes a second decision impossible even in a race.
pub async fn decide(
    db: &sea_orm::DatabaseConnection,
    bus: &EventBus,
    link: &CheckedLink,
    form: &LinkDecision,
    now: DateTime<Utc>,
    undo_window: Duration,
) -> Result<inbox_domain::dto::ActionDetail, ServiceError> {
    if link.claims.verb == LinkVerb::Reject && form.reason.is_none() {
        return Err(ServiceError::invalid("reason", "pick why it is rejected"));
    }
    let ctx = Context {
        undo_window,
        ..context(db, bus, link, now)
    };
    let detail =
        review::review_from(&ctx, link.action.id, request(link, form), Some("email")).await?;
    db::notices::use_link(db, link.claims.nonce, link.user.id, link.action.id, now).await?;
    Ok(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> LinkClaims {
        LinkClaims {
            nonce: Uuid::from_u128(1),
            user_id: Uuid::from_u128(2),
            action_id: Uuid::from_u128(3),
            version: 4,
            verb: LinkVerb::Approve,
            expires: 1_800_000_000,
        }
    }

    #[test]
    fn a_signed_token_reads_back_and_checks_with_its_key_only() {
        let token = sign("key-one", &claims());
        let (read, payload, signature) = claims_of(&token).expect("a token");
        assert_eq!(read, claims());
        assert!(verified("key-one", payload, signature));
        assert!(!verified("key-two", payload, signature), "another key");
    }

    #[test]
    fn a_token_with_any_claim_changed_no_longer_checks() {
        let token = sign("key", &claims());
        let (_, _, signature) = claims_of(&token).expect("a token");
        let forged = LinkClaims {
            version: 5,
            ..claims()
        };
        let forged_payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).expect("serialises"));
        assert!(!verified("key", &forged_payload, signature));
        assert!(claims_of("not a token").is_none());
        assert!(claims_of("e30.abc").is_none(), "`{{}}` claims nothing");
    }
}
