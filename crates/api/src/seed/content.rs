//! The demo's words: its agents, its people, what each agent writes and each customer's history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use inbox_domain::{dto::HistoryKind, ActionType, Channel, ConfidenceFactor, CustomerType, Tone};
use rand::{rngs::SmallRng, seq::SliceRandom, Rng};
use serde_json::json;

use super::random::{id_at, minutes};
use crate::db::{
    entities::{customer_history, customers},
    search_key,
};

/// A proactive agent of the demo and what it proposes.
pub(super) struct AgentSpec {
    pub(super) slug: &'static str,
    pub(super) name: &'static str,
    pub(super) description: &'static str,
    /// Who it writes to.
    pub(super) audience: &'static [CustomerType],
    /// The action types it proposes, and on which channel.
    pub(super) kinds: &'static [(ActionType, Option<Channel>)],
    pub(super) auto_execute: &'static [ActionType],
    pub(super) auto_execute_min_confidence: i16,
    pub(super) expiry_hours: i64,
    /// How many of the demo's actions it proposed (relative weight).
    pub(super) weight: u32,
}

pub(super) const AGENTS: &[AgentSpec] = &[
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

pub(super) const PEOPLE: &[(&str, Option<&str>)] = &[
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

pub(super) const MEMBER_PLANS: &[&str] = &[
    "Hot Desk Monthly",
    "Dedicated Desk",
    "Private Office (4 desks)",
    "Gym Unlimited",
    "Coworking + Gym Bundle",
    "10 Day Passes",
];

pub(super) const AVATAR_COLOURS: &[&str] = &[
    "#4f46e5", "#0891b2", "#059669", "#d97706", "#dc2626", "#7c3aed", "#db2777",
];

/// An initials avatar as a data URL, so the demo needs no image files.
pub(super) fn avatar(full_name: &str, colour: &str) -> String {
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

pub(super) fn email_for(full_name: &str, company: Option<&str>) -> String {
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

/// The words of one proposed action.
pub(super) struct Draft {
    pub(super) subject: Option<String>,
    pub(super) body: Option<String>,
    pub(super) script: Option<String>,
    pub(super) tone: Option<Tone>,
    pub(super) duration: Option<i32>,
    pub(super) trigger: String,
    pub(super) data: serde_json::Value,
    pub(super) variables: BTreeMap<String, String>,
    pub(super) factors: Vec<ConfidenceFactor>,
}

fn factor(label: &str, impact: i32) -> ConfidenceFactor {
    ConfidenceFactor {
        label: label.to_owned(),
        impact,
    }
}

pub(super) fn draft_for(
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

pub(super) fn history_for(
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
                kind,
                occurred_at,
                summary,
                data,
            }
        })
        .collect()
}
