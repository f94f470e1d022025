//! `inbox seed --demo`: a believable coworking space and gym with members, leads, agents and a
//! couple of hundred proposed actions in every status. Deterministic content, relative to `now`;
//! running it again changes nothing.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    auth::{Role, Scope},
    dto::HistoryKind,
    review::headline,
    ActionStatus, ActionType, Channel, ConfidenceFactor, CustomerType, Priority, RejectionReason,
    Tone,
};
use rand::{rngs::SmallRng, seq::SliceRandom, Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    clock::to_storage_precision,
    db::entities::{action_events, actions, agents, customer_history, customers, locations, users},
    store::{search_key, wire_name},
};

/// The slug of the demo location.
pub const DEMO_LOCATION: &str = "demo";
/// The actor recorded for the demo's human decisions.
const DEMO_REVIEWER: &str = "user:demo-reviewer";
const CUSTOMER_COUNT: usize = 40;
const ACTION_COUNT: usize = 200;

/// The demo's reviewer (an admin, so the Agents page is editable).
pub const DEMO_EMAIL: &str = "reviewer@demo.example";
/// The demo reviewer's password: for the demo only.
pub const DEMO_PASSWORD: &str = "demo-reviewer";

/// What a seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedReport {
    Created {
        customers: usize,
        agents: usize,
        actions: usize,
        /// The demo agent's API key (shown once: only its hash is stored).
        agent_key: String,
    },
    AlreadySeeded,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedReport::Created {
                customers,
                agents,
                actions,
                agent_key,
            } => write!(
                f,
                "Seeded location `{DEMO_LOCATION}`: {customers} customers, {agents} agents, {actions} actions.\n\
                 Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}.\n\
                 The Due Invoice Reminders agent's API key (shown once): {agent_key}"
            ),
            SeedReport::AlreadySeeded => write!(f, "Location `{DEMO_LOCATION}` is already seeded; nothing changed."),
        }
    }
}

/// Creates the demo location unless it exists. One transaction: all or nothing.
pub async fn demo(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<SeedReport> {
    let now = to_storage_precision(now);
    let existing = locations::Entity::find()
        .filter(locations::Column::Slug.eq(DEMO_LOCATION))
        .one(db)
        .await?;
    if existing.is_some() {
        return Ok(SeedReport::AlreadySeeded);
    }
    let data = DemoData::generate(now);
    let reviewer = users::Model {
        id: Uuid::now_v7(),
        location_id: data.location.id,
        email: DEMO_EMAIL.to_owned(),
        name: "Demo Reviewer".to_owned(),
        password_hash: crate::services::auth::hash_password(DEMO_PASSWORD)?,
        role: Role::Admin.as_str().to_owned(),
        created_at: now,
    };
    let counts = (data.customers.len(), data.agents.len(), data.actions.len());
    let (location_id, agent) = (data.location.id, data.agents[0].clone());
    let txn = db.begin().await?;
    locations::Entity::insert(data.location.into_active_model())
        .exec(&txn)
        .await
        .context("inserting the location")?;
    insert_chunked::<customers::Entity>(&txn, data.customers).await?;
    insert_chunked::<customer_history::Entity>(&txn, data.history).await?;
    insert_chunked::<agents::Entity>(&txn, data.agents).await?;
    insert_chunked::<actions::Entity>(&txn, data.actions).await?;
    insert_chunked::<action_events::Entity>(&txn, data.events).await?;
    users::Entity::insert(reviewer.into_active_model())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    // After the commit: the key needs the agent's row.
    let key = crate::services::auth::create_api_key(
        db,
        location_id,
        &format!("{} (demo)", agent.name),
        &[Scope::ActionsPropose, Scope::ActionsRead],
        Some(agent.id),
        now,
    )
    .await
    .map_err(|error| anyhow::anyhow!("creating the demo key: {error}"))?;
    Ok(SeedReport::Created {
        customers: counts.0,
        agents: counts.1,
        actions: counts.2,
        agent_key: key.token,
    })
}

/// Inserts in chunks that stay far below SQLite's limit on bound parameters.
async fn insert_chunked<E>(
    txn: &sea_orm::DatabaseTransaction,
    models: Vec<E::Model>,
) -> anyhow::Result<()>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    let mut models = models
        .into_iter()
        .map(IntoActiveModel::into_active_model)
        .peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(100).collect();
        E::insert_many(chunk).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// A UUIDv7 whose time part is `at`, so ids sort like the rows' creation times.
fn id_at(at: DateTime<Utc>, rng: &mut SmallRng) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
    uuid::Builder::from_unix_timestamp_millis(millis, &rng.gen::<[u8; 10]>()).into_uuid()
}

struct DemoData {
    location: locations::Model,
    customers: Vec<customers::Model>,
    history: Vec<customer_history::Model>,
    agents: Vec<agents::Model>,
    actions: Vec<actions::Model>,
    events: Vec<action_events::Model>,
}

/// A proactive agent of the demo and what it proposes.
struct AgentSpec {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    /// Who it writes to.
    audience: &'static [CustomerType],
    /// The action types it proposes, and on which channel.
    kinds: &'static [(ActionType, Option<Channel>)],
    auto_execute: &'static [ActionType],
    auto_execute_min_confidence: i16,
    expiry_hours: i64,
    /// How many of the demo's actions it proposed (relative weight).
    weight: u32,
}

const AGENTS: &[AgentSpec] = &[
    AgentSpec {
        slug: "due_invoice_reminders",
        name: "Due Invoice Reminders",
        description: "Watches unpaid invoices and drafts a friendly reminder once one is a few days overdue.",
        audience: &[CustomerType::Member],
        kinds: &[(ActionType::DraftMessage, Some(Channel::Email)), (ActionType::VoiceOutreach, Some(Channel::Voice))],
        auto_execute: &[],
        auto_execute_min_confidence: 90,
        expiry_hours: 72,
        weight: 5,
    },
    AgentSpec {
        slug: "failed_payment_recovery",
        name: "Failed Payment Recovery",
        description: "Notices a declined card or failed direct debit and asks the member to update their payment details.",
        audience: &[CustomerType::Member],
        kinds: &[(ActionType::DraftMessage, Some(Channel::Email)), (ActionType::VoiceOutreach, Some(Channel::Voice))],
        auto_execute: &[],
        auto_execute_min_confidence: 90,
        expiry_hours: 48,
        weight: 3,
    },
    AgentSpec {
        slug: "lead_follow_up",
        name: "Lead Follow-up",
        description: "Follows up with leads who toured the space or asked about plans and have not signed up yet.",
        audience: &[CustomerType::Lead],
        kinds: &[(ActionType::DraftMessage, Some(Channel::Email)), (ActionType::VoiceOutreach, Some(Channel::Voice))],
        auto_execute: &[],
        auto_execute_min_confidence: 85,
        expiry_hours: 96,
        weight: 4,
    },
    AgentSpec {
        slug: "inactive_member_win_back",
        name: "Inactive Member Win-back",
        description: "Spots members who stopped checking in and invites them back before they cancel.",
        audience: &[CustomerType::Member],
        kinds: &[(ActionType::DraftMessage, Some(Channel::Email)), (ActionType::VoiceOutreach, Some(Channel::Voice))],
        auto_execute: &[],
        auto_execute_min_confidence: 90,
        expiry_hours: 120,
        weight: 3,
    },
    AgentSpec {
        slug: "membership_renewal",
        name: "Membership Renewal",
        description: "Reminds members whose plan ends soon and offers to renew.",
        audience: &[CustomerType::Member],
        kinds: &[(ActionType::DraftMessage, Some(Channel::Email))],
        auto_execute: &[ActionType::DraftMessage],
        auto_execute_min_confidence: 92,
        expiry_hours: 120,
        weight: 3,
    },
    AgentSpec {
        slug: "booking_no_show",
        name: "Booking No-show Follow-up",
        description: "Checks in with anyone who booked a room or class and did not turn up.",
        audience: &[CustomerType::Member, CustomerType::Contact],
        kinds: &[(ActionType::DraftMessage, Some(Channel::Email))],
        auto_execute: &[ActionType::DraftMessage],
        auto_execute_min_confidence: 88,
        expiry_hours: 48,
        weight: 3,
    },
    AgentSpec {
        slug: "account_notes",
        name: "Account Notes",
        description: "Leaves internal notes for the team when a customer's situation changes.",
        audience: &[CustomerType::Member, CustomerType::Contact, CustomerType::Lead],
        kinds: &[(ActionType::InternalNote, None)],
        auto_execute: &[ActionType::InternalNote],
        auto_execute_min_confidence: 80,
        expiry_hours: 168,
        weight: 2,
    },
    AgentSpec {
        slug: "contract_tasks",
        name: "Contract Expiry Tasks",
        description: "Creates task reminders for the team ahead of office contract renewals.",
        audience: &[CustomerType::Member, CustomerType::Contact],
        kinds: &[(ActionType::TaskReminder, None)],
        auto_execute: &[],
        auto_execute_min_confidence: 90,
        expiry_hours: 168,
        weight: 2,
    },
];

const PEOPLE: &[(&str, Option<&str>)] = &[
    ("John Smith", Some("Acme Corp")),
    ("Zoë Müller", Some("Café Olé GmbH")),
    ("José Álvarez", Some("Álvarez & Hijos")),
    ("Amara Okafor", Some("Brightpath Studio")),
    ("Liam O'Connor", None),
    ("Chloé Dubois", Some("Maison Lumière")),
    ("Priya Raman", Some("Northwind Analytics")),
    ("Mateo Rossi", Some("Rossi Architects")),
    ("Hannah Kim", None),
    ("Søren Nielsen", Some("Fjord Digital")),
    ("Fatima Zahra", Some("Atlas Legal")),
    ("Oliver Bennett", Some("Bennett & Co")),
    ("Aisha Bello", None),
    ("Lucas Martin", Some("Pixel Forge")),
    ("Emily Carter", Some("Carter Consulting")),
    ("Noah Williams", None),
    ("Isabella García", Some("Verde Foods")),
    ("Ethan Brown", Some("Brown Logistics")),
    ("Mia Johansson", Some("Nordlys Design")),
    ("Kenji Tanaka", Some("Sakura Robotics")),
    ("Grace Lee", None),
    ("Daniel Novak", Some("Novak Translations")),
    ("Sofia Petrova", Some("Petrova Events")),
    ("Samuel Adeyemi", Some("Lagos Ventures")),
    ("Ava Thompson", None),
    ("Benjamin Clarke", Some("Clarke Media")),
    ("Léa Fontaine", Some("Fontaine Patisserie")),
    ("Omar Haddad", Some("Cedar Health")),
    ("Charlotte Evans", None),
    ("Ravi Patel", Some("Patel Accountants")),
    ("Ingrid Larsen", Some("Larsen Yoga")),
    ("Mohammed Al-Sayed", Some("Oasis Travel")),
    ("Ella Wright", None),
    ("Tomás Ó Briain", Some("Harbour Coffee")),
    ("Yuki Sato", Some("Kumo Games")),
    ("Jack Murphy", None),
    ("Nadia Rahman", Some("Bloom Florists")),
    ("Henry Walker", Some("Walker Fitness")),
    ("Elif Yılmaz", Some("Istanbul Bakery")),
    ("Marcus Johnson", Some("Johnson Film")),
];

const MEMBER_PLANS: &[&str] = &[
    "Hot Desk Monthly",
    "Dedicated Desk",
    "Private Office (4 desks)",
    "Gym Unlimited",
    "Coworking + Gym Bundle",
    "10 Day Passes",
];

const AVATAR_COLOURS: &[&str] = &[
    "#4f46e5", "#0891b2", "#059669", "#d97706", "#dc2626", "#7c3aed", "#db2777",
];

/// An initials avatar as a data URL, so the demo needs no image files.
fn avatar(full_name: &str, colour: &str) -> String {
    let initials: String = full_name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect();
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'><rect width='64' height='64' rx='32' fill='{colour}'/><text x='32' y='41' font-family='sans-serif' font-size='24' fill='white' text-anchor='middle'>{initials}</text></svg>"
    );
    format!(
        "data:image/svg+xml,{}",
        svg.replace('#', "%23")
            .replace('<', "%3C")
            .replace('>', "%3E")
    )
}

fn email_for(full_name: &str, company: Option<&str>) -> String {
    let folded = deunicode_name(full_name);
    let domain = company.map_or_else(
        || "mail.example".to_owned(),
        |c| format!("{}.example", deunicode_name(c).replace('.', "")),
    );
    format!("{folded}@{domain}")
}

fn deunicode_name(text: &str) -> String {
    search_key(&[Some(text)])
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            ' ' | '-' => Some('.'),
            _ => None,
        })
        .collect::<String>()
        .split('.')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

/// The shape of one action's status in the demo, in proportion.
const STATUS_MIX: &[(ActionStatus, u32)] = &[
    (ActionStatus::Pending, 36),
    (ActionStatus::Approved, 20),
    (ActionStatus::Rejected, 11),
    (ActionStatus::Snoozed, 8),
    (ActionStatus::Deferred, 5),
    (ActionStatus::Expired, 10),
    (ActionStatus::AutoExecuted, 10),
];

fn pick_weighted<'a, T>(rng: &mut SmallRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.gen_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &items[items.len() - 1].0
}

/// The words of one proposed action.
struct Draft {
    subject: Option<String>,
    body: Option<String>,
    script: Option<String>,
    tone: Option<Tone>,
    duration: Option<i32>,
    trigger: String,
    data: serde_json::Value,
    variables: BTreeMap<String, String>,
    factors: Vec<ConfidenceFactor>,
}

fn factor(label: &str, impact: i32) -> ConfidenceFactor {
    ConfidenceFactor {
        label: label.to_owned(),
        impact,
    }
}

fn draft_for(
    agent: &AgentSpec,
    action_type: ActionType,
    customer: &customers::Model,
    rng: &mut SmallRng,
) -> Draft {
    let plan = customer
        .plan
        .clone()
        .unwrap_or_else(|| "membership".to_owned());
    let invoice = format!("{}", rng.gen_range(1000..9999));
    let amount = format!("£{}.00", rng.gen_range(4..40) * 10);
    let days = rng.gen_range(3..15);
    let mut variables = BTreeMap::new();
    let (subject, body, script, trigger, data, factors);
    match (agent.slug, action_type) {
        ("due_invoice_reminders", ActionType::DraftMessage) => {
            variables.insert("invoice_number".into(), invoice.clone());
            variables.insert("amount".into(), amount.clone());
            variables.insert("days_overdue".into(), days.to_string());
            subject = Some("Payment reminder: Invoice #{{invoice_number}} is overdue".to_owned());
            body = Some("<p>Hi {{first_name}},</p><p>A quick reminder that invoice <strong>#{{invoice_number}}</strong> for {{amount}} is now {{days_overdue}} days overdue. You can pay it from your member portal in a minute.</p><p>If you have already paid, please ignore this message — and thank you!</p>".to_owned());
            script = None;
            trigger = format!("Invoice #{invoice} is {days} days overdue. Customer has good payment history but missed this payment.");
            data = json!({"invoice_number": invoice, "amount": amount, "days_overdue": days, "previous_late_payments": rng.gen_range(0..2)});
            factors = vec![
                factor("Strong payment history", 14),
                factor("Clear trigger: invoice overdue", 20),
                factor("Email opened within a day last time", 8),
            ];
        }
        ("due_invoice_reminders" | "failed_payment_recovery", ActionType::VoiceOutreach) => {
            variables.insert("invoice_number".into(), invoice.clone());
            variables.insert("amount".into(), amount.clone());
            subject = None;
            body = None;
            script = Some("Hi {{first_name}}, this is the front desk at {{location_name}}. I'm calling about invoice {{invoice_number}} for {{amount}}, which hasn't gone through yet. Would it be easier to settle it now over the phone, or shall I send you a payment link?".to_owned());
            trigger = format!("Invoice #{invoice} is {days} days overdue and two email reminders went unanswered.");
            data = json!({"invoice_number": invoice, "amount": amount, "days_overdue": days, "emails_sent": 2});
            factors = vec![
                factor("Emails unanswered", 10),
                factor("Prefers phone contact", 12),
                factor("Large balance", -4),
            ];
        }
        ("failed_payment_recovery", _) => {
            variables.insert("amount".into(), amount.clone());
            variables.insert(
                "card_last4".into(),
                format!("{:04}", rng.gen_range(0..10_000)),
            );
            subject = Some("Your payment of {{amount}} didn't go through".to_owned());
            body = Some("<p>Hi {{first_name}},</p><p>We tried to collect {{amount}} for your {{plan}} but the card ending in {{card_last4}} was declined.</p><ul><li>Update your card in the member portal</li><li>Or reply and we'll send a payment link</li></ul><p>Your access stays active while we sort it out.</p>".to_owned());
            script = None;
            trigger =
                format!("Card payment of {amount} was declined yesterday (insufficient funds).");
            data = json!({"amount": amount, "decline_code": "insufficient_funds", "attempts": 1});
            factors = vec![
                factor("First failed payment", 12),
                factor("Active member for over a year", 10),
            ];
        }
        ("lead_follow_up", ActionType::VoiceOutreach) => {
            subject = None;
            body = None;
            script = Some("Hi {{first_name}}, it's the team at {{location_name}}. You toured the space last week — I wanted to see if you had any questions about desks or private offices, and whether a free trial day would help you decide.".to_owned());
            trigger = format!(
                "Toured the space {days} days ago and asked about private offices; no sign-up yet."
            );
            data = json!({"tour_date_days_ago": days, "interest": "private office", "team_size": rng.gen_range(1..8)});
            factors = vec![
                factor("Asked for pricing", 15),
                factor("Opened the brochure twice", 9),
                factor("No reply to last email", -6),
            ];
        }
        ("lead_follow_up", _) => {
            variables.insert("trial_day".into(), "Friday".into());
            subject = Some("Still thinking about {{location_name}}, {{first_name}}?".to_owned());
            body = Some("<p>Hi {{first_name}},</p><p>Thanks again for visiting. If it helps you decide, we'd love to offer you a free trial day on <em>{{trial_day}}</em> — just reply to book it.</p>".to_owned());
            script = None;
            trigger = format!(
                "Lead enquired about a hot desk {days} days ago and has not booked a tour."
            );
            data = json!({"enquiry_days_ago": days, "source": "website form"});
            factors = vec![
                factor("Recent enquiry", 16),
                factor("High engagement with emails", 11),
            ];
        }
        ("inactive_member_win_back", ActionType::VoiceOutreach) => {
            subject = None;
            body = None;
            script = Some("Hi {{first_name}}, it's {{location_name}}. We haven't seen you in a while and wanted to check everything's OK with your {{plan}} — is there anything we could do to make the space work better for you?".to_owned());
            trigger = format!(
                "No check-ins for {} days; usually visits three times a week.",
                days + 14
            );
            data = json!({"days_since_last_visit": days + 14, "usual_visits_per_week": 3});
            factors = vec![
                factor("Sharp drop in visits", 18),
                factor("Long-standing member", 8),
            ];
        }
        ("inactive_member_win_back", _) => {
            subject = Some("We miss you at {{location_name}}".to_owned());
            body = Some("<p>Hi {{first_name}},</p><p>It's been a few weeks since your last visit. This month we've added <strong>new standing desks</strong> and a Tuesday breakfast — come and try them, your {{plan}} includes both.</p>".to_owned());
            script = None;
            trigger = format!("No check-ins for {} days on an active {plan}.", days + 14);
            data = json!({"days_since_last_visit": days + 14});
            factors = vec![
                factor("Drop in visits", 15),
                factor("Responds well to news emails", 7),
            ];
        }
        ("membership_renewal", _) => {
            variables.insert(
                "renewal_date".into(),
                format!("{} December", rng.gen_range(1..28)),
            );
            subject = Some("Your {{plan}} renews on {{renewal_date}}".to_owned());
            body = Some("<p>Hi {{first_name}},</p><p>Your {{plan}} comes up for renewal on {{renewal_date}}. Renew now to keep your rate — or reply if you'd like to change plans.</p>".to_owned());
            script = None;
            trigger = format!("{plan} ends in {days} days; auto-renew is off.");
            data = json!({"plan": plan, "days_left": days, "auto_renew": false});
            factors = vec![
                factor("Renewed twice before", 18),
                factor("Plan ending soon", 12),
            ];
        }
        ("booking_no_show", _) => {
            variables.insert(
                "booking".into(),
                [
                    "Meeting Room B",
                    "Spin class",
                    "Podcast studio",
                    "Yoga class",
                ]
                .choose(rng)
                .copied()
                .unwrap_or("Meeting Room B")
                .to_owned(),
            );
            subject = Some("We missed you at your {{booking}} booking".to_owned());
            body = Some("<p>Hi {{first_name}},</p><p>We noticed you couldn't make your {{booking}} booking yesterday. No problem — would you like us to rebook it for you?</p>".to_owned());
            script = None;
            trigger = "Booked a slot yesterday and did not check in.".to_owned();
            data = json!({"booking": variables.get("booking"), "no_shows_this_month": rng.gen_range(1..3)});
            factors = vec![
                factor("Clear trigger: missed booking", 20),
                factor("First no-show", 6),
            ];
        }
        ("account_notes", _) => {
            subject = Some("Note: {{customer_name}} asked about upgrading".to_owned());
            body = Some("<p>{{customer_name}} mentioned at the front desk that their team is growing. Worth offering a tour of the private offices next time they're in.</p>".to_owned());
            script = None;
            trigger = "Front-desk conversation logged a possible upgrade.".to_owned();
            data = json!({"source": "front desk log"});
            factors = vec![factor("Explicit mention of growth", 12)];
        }
        _ => {
            variables.insert(
                "contract_end".into(),
                format!("{} January", rng.gen_range(1..28)),
            );
            subject = Some("Prepare renewal offer for {{customer_name}}".to_owned());
            body = Some("<p>Office contract ends on {{contract_end}}. Prepare a renewal offer and book a call two weeks before.</p>".to_owned());
            script = None;
            trigger = format!("Office contract ends in {} days.", days + 30);
            data = json!({"days_to_contract_end": days + 30});
            factors = vec![factor("Contract end date known", 20)];
        }
    }
    let (tone, duration) = if script.is_some() {
        (
            Some(
                *[Tone::Friendly, Tone::Professional, Tone::Urgent]
                    .choose(rng)
                    .unwrap_or(&Tone::Friendly),
            ),
            Some(rng.gen_range(6..18) * 10),
        )
    } else {
        (None, None)
    };
    Draft {
        subject,
        body,
        script,
        tone,
        duration,
        trigger,
        data,
        variables,
        factors,
    }
}

fn minutes(rng: &mut SmallRng, range: std::ops::Range<i64>) -> Duration {
    Duration::minutes(rng.gen_range(range))
}

impl DemoData {
    fn generate(now: DateTime<Utc>) -> DemoData {
        let mut rng = SmallRng::seed_from_u64(20_261_124);
        let location_created = now - Duration::days(400);
        let location = locations::Model {
            id: id_at(location_created, &mut rng),
            slug: DEMO_LOCATION.to_owned(),
            name: "Northside Coworking & Gym".to_owned(),
            sending_address: "hello@northside-cowork.example".to_owned(),
            signature: "Best wishes,\nThe Northside team\nNorthside Coworking & Gym · 12 Canal Street, Manchester".to_owned(),
            time_zone: "Europe/London".to_owned(),
            business_hours: json!({
                "mon": ["09:00", "18:00"], "tue": ["09:00", "18:00"], "wed": ["09:00", "18:00"],
                "thu": ["09:00", "18:00"], "fri": ["09:00", "17:00"], "sat": ["10:00", "14:00"], "sun": null
            }),
            created_at: location_created,
        };

        let mut customers = Vec::with_capacity(CUSTOMER_COUNT);
        let mut history = Vec::new();
        for (index, (full_name, company)) in PEOPLE.iter().take(CUSTOMER_COUNT).enumerate() {
            let customer_type = match index % 4 {
                0 | 1 => CustomerType::Member,
                2 => CustomerType::Lead,
                _ => CustomerType::Contact,
            };
            let created_at = now - Duration::days(rng.gen_range(20..380));
            let customer = customers::Model {
                id: id_at(created_at, &mut rng),
                location_id: location.id,
                full_name: (*full_name).to_owned(),
                company: company.map(str::to_owned),
                customer_type: customer_type.as_str().to_owned(),
                email: Some(email_for(full_name, *company)),
                phone: (index % 7 != 3).then(|| format!("+44 7700 900{:03}", index * 17 % 1000)),
                plan: (customer_type == CustomerType::Member)
                    .then(|| MEMBER_PLANS[index % MEMBER_PLANS.len()].to_owned()),
                photo_url: Some(avatar(
                    full_name,
                    AVATAR_COLOURS[index % AVATAR_COLOURS.len()],
                )),
                search_key: search_key(&[Some(full_name), *company]),
                created_at,
            };
            history.extend(history_for(&customer, customer_type, now, &mut rng));
            customers.push(customer);
        }

        let agent_models: Vec<agents::Model> = AGENTS
            .iter()
            .map(|spec| {
                let created_at = location_created + Duration::days(1);
                agents::Model {
                    id: id_at(created_at, &mut rng),
                    location_id: location.id,
                    slug: spec.slug.to_owned(),
                    name: spec.name.to_owned(),
                    description: spec.description.to_owned(),
                    enabled: true,
                    auto_execute: json!(spec
                        .auto_execute
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()),
                    auto_execute_min_confidence: spec.auto_execute_min_confidence,
                    default_expiry_seconds: spec.expiry_hours * 3600,
                    created_at,
                    updated_at: created_at,
                }
            })
            .collect();

        let weighted_agents: Vec<(usize, u32)> = AGENTS
            .iter()
            .enumerate()
            .map(|(i, a)| (i, a.weight))
            .collect();
        let mut actions = Vec::with_capacity(ACTION_COUNT);
        let mut events = Vec::new();
        for _ in 0..ACTION_COUNT {
            let agent_index = *pick_weighted(&mut rng, &weighted_agents);
            let spec = &AGENTS[agent_index];
            let agent = &agent_models[agent_index];
            let audience: Vec<&customers::Model> = customers
                .iter()
                .filter(|c| spec.audience.iter().any(|t| t.as_str() == c.customer_type))
                .collect();
            let Some(customer) = audience.choose(&mut rng).copied() else {
                continue;
            };
            let (action_type, channel) = *spec.kinds.choose(&mut rng).unwrap_or(&spec.kinds[0]);
            let status = if spec.auto_execute.contains(&action_type) {
                // A trusted agent's actions mostly went out alone; a few fell under its threshold.
                if rng.gen_bool(0.7) {
                    ActionStatus::AutoExecuted
                } else {
                    *pick_weighted(&mut rng, &STATUS_MIX[..STATUS_MIX.len() - 1])
                }
            } else {
                *pick_weighted(&mut rng, &STATUS_MIX[..STATUS_MIX.len() - 1])
            };
            let draft = draft_for(spec, action_type, customer, &mut rng);
            let confidence: i16 = if status == ActionStatus::AutoExecuted {
                rng.gen_range(spec.auto_execute_min_confidence..=99)
            } else {
                rng.gen_range(48..spec.auto_execute_min_confidence.min(97))
            };
            let priority = *[
                (Priority::Low, 3),
                (Priority::Medium, 5),
                (Priority::High, 3),
                (Priority::Critical, 1),
            ]
            .as_slice()
            .choose_weighted(&mut rng, |(_, w)| *w)
            .map(|(p, _)| p)
            .unwrap_or(&Priority::Medium);
            let window = Duration::hours(spec.expiry_hours);

            // Times that make the status true at `now`.
            let created_at = match status {
                ActionStatus::Pending | ActionStatus::Snoozed => {
                    now - minutes(&mut rng, 5..window.num_minutes().min(60 * 40))
                }
                ActionStatus::Deferred => now - minutes(&mut rng, 1..120),
                ActionStatus::Expired => now - window - minutes(&mut rng, 30..60 * 24 * 5),
                _ => now - minutes(&mut rng, 20..60 * 24 * 9),
            };
            let expires_at = created_at + window;
            let mut action = actions::Model {
                id: id_at(created_at, &mut rng),
                location_id: location.id,
                agent_id: agent.id,
                customer_id: customer.id,
                external_id: Some(format!("{}-{}", spec.slug, rng.gen_range(100_000..999_999))),
                action_type: action_type.as_str().to_owned(),
                channel: channel.map(|c| c.as_str().to_owned()),
                headline: headline(draft.subject.as_deref(), draft.script.as_deref()),
                subject: draft.subject,
                body: draft.body,
                script: draft.script,
                tone: draft.tone.map(|t| t.as_str().to_owned()),
                estimated_duration_seconds: draft.duration,
                confidence,
                confidence_factors: json!(draft.factors),
                priority: priority.as_str().to_owned(),
                trigger_summary: draft.trigger,
                trigger_data: draft.data,
                variables: json!(draft.variables),
                status: status.as_str().to_owned(),
                version: 1,
                created_at,
                updated_at: created_at,
                expires_at,
                not_before: None,
                snoozed_until: None,
                snooze_note: None,
                deferred_until: None,
                approved_awaiting_send: false,
                first_reviewed_at: None,
                review_time_seconds: None,
                approved_at: None,
                approved_by: None,
                rejected_at: None,
                rejected_by: None,
                rejection_reason: None,
                rejection_note: None,
                expired_at: None,
                auto_executed_at: None,
            };
            let proposer = format!("agent:{}", agent.id);
            let mut record = |action: &actions::Model,
                              kind: &str,
                              from: Option<ActionStatus>,
                              to: ActionStatus,
                              actor: &str,
                              at: DateTime<Utc>,
                              data: serde_json::Value,
                              rng: &mut SmallRng| {
                events.push(action_events::Model {
                    id: id_at(at, rng),
                    location_id: action.location_id,
                    action_id: action.id,
                    kind: kind.to_owned(),
                    from_status: from.map(|s| s.as_str().to_owned()),
                    to_status: Some(to.as_str().to_owned()),
                    actor: actor.to_owned(),
                    occurred_at: at,
                    version: action.version,
                    data,
                });
            };
            let proposed_status = match status {
                ActionStatus::AutoExecuted => ActionStatus::AutoExecuted,
                ActionStatus::Deferred => ActionStatus::Deferred,
                _ => ActionStatus::Pending,
            };
            record(
                &action,
                "proposed",
                None,
                proposed_status,
                &proposer,
                created_at,
                json!({}),
                &mut rng,
            );

            // The decision, a while after creation.
            let latest_review = (expires_at.min(now) - created_at)
                .num_minutes()
                .clamp(2, 8 * 60);
            let reviewed_at = created_at + minutes(&mut rng, 1..latest_review);
            let review = |action: &mut actions::Model, at: DateTime<Utc>| {
                action.first_reviewed_at = Some(at);
                action.review_time_seconds = Some((at - action.created_at).num_seconds());
                action.updated_at = at;
                action.version += 1;
            };
            match status {
                ActionStatus::Pending => {}
                ActionStatus::Approved => {
                    review(&mut action, reviewed_at);
                    action.approved_at = Some(reviewed_at);
                    action.approved_by = Some(DEMO_REVIEWER.to_owned());
                    record(
                        &action,
                        "approved",
                        Some(ActionStatus::Pending),
                        status,
                        DEMO_REVIEWER,
                        reviewed_at,
                        json!({}),
                        &mut rng,
                    );
                }
                ActionStatus::Rejected => {
                    review(&mut action, reviewed_at);
                    let reason = *RejectionReason::ALL
                        .choose(&mut rng)
                        .unwrap_or(&RejectionReason::PoorTiming);
                    let note = match reason {
                        RejectionReason::Other => {
                            Some("Spoke to them in person this morning.".to_owned())
                        }
                        RejectionReason::AlreadyResolved => {
                            Some("Paid at the front desk.".to_owned())
                        }
                        _ => None,
                    };
                    action.rejected_at = Some(reviewed_at);
                    action.rejected_by = Some(DEMO_REVIEWER.to_owned());
                    action.rejection_reason = Some(reason.as_str().to_owned());
                    action.rejection_note = note.clone();
                    record(
                        &action,
                        "rejected",
                        Some(ActionStatus::Pending),
                        status,
                        DEMO_REVIEWER,
                        reviewed_at,
                        json!({"reason": reason, "note": note}),
                        &mut rng,
                    );
                }
                ActionStatus::Snoozed => {
                    let at = now - minutes(&mut rng, 1..(now - created_at).num_minutes().max(2));
                    review(&mut action, at);
                    let until = (now + minutes(&mut rng, 30..60 * 30))
                        .min(expires_at - Duration::minutes(1));
                    action.snoozed_until = Some(until);
                    action.snooze_note = rng
                        .gen_bool(0.5)
                        .then(|| "Check with the manager first.".to_owned());
                    record(
                        &action,
                        "snoozed",
                        Some(ActionStatus::Pending),
                        status,
                        DEMO_REVIEWER,
                        at,
                        json!({"until": until, "note": action.snooze_note}),
                        &mut rng,
                    );
                }
                ActionStatus::Deferred => {
                    let until = now + minutes(&mut rng, 30..60 * 12);
                    action.not_before = Some(until);
                    action.deferred_until = Some(until);
                }
                ActionStatus::Expired => {
                    action.version += 1;
                    action.expired_at = Some(expires_at);
                    action.updated_at = expires_at;
                    record(
                        &action,
                        "expired",
                        Some(ActionStatus::Pending),
                        status,
                        "system",
                        expires_at,
                        json!({}),
                        &mut rng,
                    );
                }
                ActionStatus::AutoExecuted => {
                    action.auto_executed_at = Some(created_at);
                }
            }
            actions.push(action);
        }

        DemoData {
            location,
            customers,
            history,
            agents: agent_models,
            actions,
            events,
        }
    }
}

fn history_for(
    customer: &customers::Model,
    customer_type: CustomerType,
    now: DateTime<Utc>,
    rng: &mut SmallRng,
) -> Vec<customer_history::Model> {
    let mut entries: Vec<(HistoryKind, String, serde_json::Value)> = Vec::new();
    match customer_type {
        CustomerType::Member => {
            for _ in 0..rng.gen_range(2..5) {
                entries.push((
                    HistoryKind::Activity,
                    "Checked in at the front desk".into(),
                    json!({"door": "main"}),
                ));
            }
            entries.push((
                HistoryKind::Activity,
                "Booked Meeting Room B for 2 hours".into(),
                json!({"room": "Meeting Room B"}),
            ));
            let amount = rng.gen_range(8..40) * 10;
            entries.push((
                HistoryKind::Payment,
                format!("Invoice paid: £{amount}.00"),
                json!({"amount": amount, "method": "card"}),
            ));
            if rng.gen_bool(0.4) {
                entries.push((
                    HistoryKind::Payment,
                    format!("Card declined: £{amount}.00"),
                    json!({"amount": amount, "code": "insufficient_funds"}),
                ));
            }
            entries.push((
                HistoryKind::Communication,
                "Monthly community newsletter opened".into(),
                json!({"channel": "email"}),
            ));
            if rng.gen_bool(0.3) {
                entries.push((
                    HistoryKind::Ticket,
                    "Wi-Fi dropped on the second floor — resolved".into(),
                    json!({"status": "resolved"}),
                ));
            }
        }
        CustomerType::Lead => {
            entries.push((
                HistoryKind::Activity,
                "Toured the space".into(),
                json!({"guide": "Sam"}),
            ));
            entries.push((
                HistoryKind::Communication,
                "Enquiry via website form".into(),
                json!({"channel": "web"}),
            ));
            entries.push((
                HistoryKind::Communication,
                "Pricing brochure sent".into(),
                json!({"channel": "email"}),
            ));
        }
        CustomerType::Contact => {
            entries.push((
                HistoryKind::Activity,
                "Attended a Friday networking event".into(),
                json!({}),
            ));
            entries.push((
                HistoryKind::Communication,
                "Replied to an event invitation".into(),
                json!({"channel": "email"}),
            ));
            if rng.gen_bool(0.5) {
                entries.push((
                    HistoryKind::Ticket,
                    "Asked for an invoice copy — resolved".into(),
                    json!({"status": "resolved"}),
                ));
            }
        }
    }
    entries
        .into_iter()
        .map(|(kind, summary, data)| {
            let occurred_at = now - minutes(rng, 60..60 * 24 * 60);
            customer_history::Model {
                id: id_at(occurred_at, rng),
                location_id: customer.location_id,
                customer_id: customer.id,
                kind: wire_name(&kind),
                occurred_at,
                summary,
                data,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_domain::Lifecycle;

    #[test]
    fn demo_data_covers_every_status_channel_type_and_priority() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .expect("valid")
            .to_utc();
        let data = DemoData::generate(now);
        assert_eq!(data.customers.len(), CUSTOMER_COUNT);
        assert!(data.actions.len() >= ACTION_COUNT - 5);
        let statuses: std::collections::BTreeSet<_> = data
            .actions
            .iter()
            .map(|a| {
                Lifecycle {
                    status: a.status.parse().expect("stored status"),
                    expires_at: a.expires_at,
                    snoozed_until: a.snoozed_until,
                    deferred_until: a.deferred_until,
                    approved_awaiting_send: a.approved_awaiting_send,
                }
                .status_at(now)
            })
            .collect();
        assert_eq!(
            statuses.len(),
            ActionStatus::ALL.len(),
            "every status, as read at `now`: {statuses:?}"
        );
        for action_type in ActionType::ALL {
            assert!(
                data.actions
                    .iter()
                    .any(|a| a.action_type == action_type.as_str()),
                "{action_type}"
            );
        }
        for priority in Priority::ALL {
            assert!(
                data.actions.iter().any(|a| a.priority == priority.as_str()),
                "{priority}"
            );
        }
        for channel in Channel::ALL {
            assert!(
                data.actions
                    .iter()
                    .any(|a| a.channel.as_deref() == Some(channel.as_str())),
                "{channel}"
            );
        }
        assert!(data.actions.iter().all(|a| a.headline.chars().count() > 10));
        assert!(data.actions.iter().all(|a| a.created_at <= now));
    }

    #[test]
    fn scripts_open_with_their_first_sentence() {
        assert_eq!(
            headline(None, Some("Hi Sam, it's us. More text.")),
            "Hi Sam, it's us."
        );
    }

    #[test]
    fn emails_are_plain_ascii() {
        assert_eq!(
            email_for("Zoë Müller", Some("Café Olé GmbH")),
            "zoe.muller@cafeolegmbh.example"
        );
        assert_eq!(
            email_for("Liam O'Connor", None),
            "liam.oconnor@mail.example"
        );
    }
}
