//! `inbox seed --demo`: a believable coworking space and gym with members, leads, agents and a
//! couple of hundred proposed actions in every status. Deterministic content, relative to `now`;
//! running it again changes nothing.

mod content;
pub mod history;
mod random;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use inbox_domain::{
    auth::{Role, Scope},
    dto::{ProposeAction, Trigger},
    review::{initial_lifecycle, validate_proposal, Decision, DraftChanges},
    ActionStatus, ActionType, Channel, CustomerType, EventKind, LifecycleEvent, Priority,
    RejectionReason,
};
use rand::{rngs::SmallRng, seq::SliceRandom, Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    Iterable, QueryFilter, TransactionTrait, TryIntoModel,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    clock::to_storage_precision,
    db::{
        actions::{counts::CountChanges, lifecycle_of, NewAction, NewEvent, PreparedChange},
        entities::{action_events, actions, agents, customer_history, customers, locations, users},
        search_key,
    },
    services::{change::transition_change, Actor},
};
use content::{
    avatar, draft_for, email_for, history_for, Draft, AGENTS, AVATAR_COLOURS, MEMBER_PLANS, PEOPLE,
};
use random::{id_at, minutes, pick_weighted};

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
    let data = DemoData::generate(now)?;
    let reviewer = users::Model {
        id: Uuid::now_v7(),
        location_id: data.location.id,
        email: DEMO_EMAIL.to_owned(),
        name: "Demo Reviewer".to_owned(),
        password_hash: crate::services::auth::hash_password(DEMO_PASSWORD)?,
        role: Role::Admin,
        created_at: now,
        notification_preferences: None,
        link_secret: None,
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
    let action_counts = CountChanges::of_new(&data.actions);
    insert_chunked::<actions::Entity>(&txn, data.actions).await?;
    action_counts.write(&txn).await?;
    insert_chunked::<action_events::Entity>(&txn, data.events).await?;
    users::Entity::insert(reviewer.into_active_model())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    // The history was written past the tallies: count it for Insights.
    crate::db::insights::rebuild(db, location_id).await?;
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

struct DemoData {
    location: locations::Model,
    customers: Vec<customers::Model>,
    history: Vec<customer_history::Model>,
    agents: Vec<agents::Model>,
    actions: Vec<actions::Model>,
    events: Vec<action_events::Model>,
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

impl DemoData {
    fn generate(now: DateTime<Utc>) -> anyhow::Result<DemoData> {
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
            contact_cap_messages: None,
            contact_cap_days: None,
            review_confidence_floor: None,
            audit_share: None,
            slack_webhook_url: None,
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
                customer_type,
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
                    auto_execute: json!(spec.auto_execute),
                    auto_execute_min_confidence: spec.auto_execute_min_confidence,
                    default_expiry_seconds: spec.expiry_hours * 3600,
                    created_at,
                    updated_at: created_at,
                    autonomy_paused: None,
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
                .filter(|c| spec.audience.contains(&c.customer_type))
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
            let not_before =
                (status == ActionStatus::Deferred).then(|| now + minutes(&mut rng, 30..60 * 12));
            let external_id = format!("{}-{}", spec.slug, rng.gen_range(100_000..999_999));
            let (action, proposed) = propose(
                Proposal {
                    location_id: location.id,
                    agent,
                    customer,
                    action_type,
                    channel,
                    draft,
                    confidence,
                    priority,
                    created_at,
                    expires_at,
                    not_before,
                    external_id: Some(external_id),
                    auto_executed: status == ActionStatus::AutoExecuted,
                },
                &mut rng,
            )?;
            events.push(proposed);

            // The decision, a while after creation, as a reviewer or the sweep would take it.
            let latest_review = (expires_at.min(now) - created_at)
                .num_minutes()
                .clamp(2, 8 * 60);
            let reviewed_at = created_at + minutes(&mut rng, 1..latest_review);
            let action = match status {
                ActionStatus::Approved => decide(
                    action,
                    Decision::Approve {
                        changes: DraftChanges::default(),
                    },
                    reviewed_at,
                    &mut events,
                )?,
                ActionStatus::Rejected => {
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
                    let decision = Decision::Reject { reason, note };
                    decide(action, decision, reviewed_at, &mut events)?
                }
                ActionStatus::Snoozed => {
                    let at = now - minutes(&mut rng, 1..(now - created_at).num_minutes().max(2));
                    let until = (now + minutes(&mut rng, 30..60 * 30))
                        .min(expires_at - Duration::minutes(1));
                    let note = rng
                        .gen_bool(0.5)
                        .then(|| "Check with the manager first.".to_owned());
                    decide(action, Decision::Snooze { until, note }, at, &mut events)?
                }
                ActionStatus::Expired => {
                    let change = changed(&action, LifecycleEvent::Expire, None, expires_at)?;
                    applied(action, change, &mut events)?
                }
                ActionStatus::Pending | ActionStatus::Deferred | ActionStatus::AutoExecuted => {
                    action
                }
            };
            actions.push(action);
        }

        Ok(DemoData {
            location,
            customers,
            history,
            agents: agent_models,
            actions,
            events,
        })
    }
}

/// An action the seed proposes, as its agent would have sent it.
struct Proposal<'a> {
    location_id: Uuid,
    agent: &'a agents::Model,
    customer: &'a customers::Model,
    action_type: ActionType,
    channel: Option<Channel>,
    draft: Draft,
    confidence: i16,
    priority: Priority,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    not_before: Option<DateTime<Utc>>,
    external_id: Option<String>,
    /// Sent at once by a trusted agent.
    auto_executed: bool,
}

/// The row of a seeded proposal and its `proposed` history entry, checked and built the way
/// the API checks and builds them.
fn propose(
    proposal: Proposal<'_>,
    rng: &mut SmallRng,
) -> anyhow::Result<(actions::Model, action_events::Model)> {
    let Proposal {
        location_id,
        agent,
        customer,
        draft,
        created_at,
        expires_at,
        not_before,
        ..
    } = proposal;
    let valid = validate_proposal(&ProposeAction {
        customer_id: customer.id,
        agent_id: Some(agent.id),
        action_type: proposal.action_type,
        channel: proposal.channel,
        subject: draft.subject,
        body: draft.body,
        script: draft.script,
        tone: draft.tone,
        estimated_duration_seconds: draft.duration,
        confidence: i64::from(proposal.confidence),
        confidence_factors: draft.factors,
        priority: proposal.priority,
        trigger: Trigger {
            summary: draft.trigger,
            data: draft.data,
        },
        variables: draft.variables,
        expires_at: Some(expires_at),
        not_before,
        external_id: proposal.external_id,
        precondition_url: None,
    })
    .map_err(|errors| anyhow::anyhow!("a seeded draft breaks a rule: {errors:?}"))?;
    let lifecycle =
        initial_lifecycle(created_at, expires_at, not_before, proposal.auto_executed)
            .map_err(|error| anyhow::anyhow!("a seeded action's timing: {}", error.message))?;
    let action = NewAction {
        id: id_at(created_at, rng),
        location_id,
        agent,
        customer,
        proposal: &valid,
        lifecycle,
        not_before,
        proposed_at: created_at,
        // The demo's agents propose with their own keys, as `actor` below says.
        by_agent_key: true,
    }
    .into_row();
    let event = NewEvent {
        action: &action,
        kind: EventKind::Proposed,
        from: None,
        to: Some(lifecycle.status),
        version: 1,
        actor: &format!("agent:{}", agent.id),
        at: created_at,
        data: json!({ "auto_executed": lifecycle.status == ActionStatus::AutoExecuted }),
    }
    .into_row();
    Ok((action, event))
}

/// The change `event` makes to a demo action at `at`, as the domain and the services make it.
fn changed(
    action: &actions::Model,
    event: LifecycleEvent,
    decision: Option<&Decision>,
    at: DateTime<Utc>,
) -> anyhow::Result<PreparedChange> {
    let transition = lifecycle_of(action)
        .apply(event, at)
        .context("a demo action's transition")?;
    let actor = match decision {
        Some(_) => Actor(DEMO_REVIEWER.to_owned()),
        None => Actor::system(),
    };
    Ok(transition_change(
        action,
        &transition,
        decision,
        None,
        &actor,
        at,
    ))
}

/// A reviewer's decision on a demo action.
fn decide(
    action: actions::Model,
    decision: Decision,
    at: DateTime<Utc>,
    events: &mut Vec<action_events::Model>,
) -> anyhow::Result<actions::Model> {
    let change = changed(&action, decision.event(), Some(&decision), at)?;
    applied(action, change, events)
}

/// The row after its change, with the change's history recorded.
fn applied(
    action: actions::Model,
    change: PreparedChange,
    events: &mut Vec<action_events::Model>,
) -> anyhow::Result<actions::Model> {
    let mut row = action.into_active_model();
    for column in actions::Column::iter() {
        if let ActiveValue::Set(value) = change.update.get(column) {
            row.set(column, value);
        }
    }
    events.extend(change.events);
    Ok(row.try_into_model()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use inbox_domain::{ActionType, Channel};

    #[test]
    fn demo_data_covers_every_status_channel_type_and_priority() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .expect("valid")
            .to_utc();
        let data = DemoData::generate(now).expect("the demo goes through the domain");
        assert_eq!(data.customers.len(), CUSTOMER_COUNT);
        assert!(data.actions.len() >= ACTION_COUNT - 5);
        let statuses: std::collections::BTreeSet<_> = data
            .actions
            .iter()
            .map(|a| lifecycle_of(a).status_at(now))
            .collect();
        assert_eq!(
            statuses.len(),
            ActionStatus::ALL.len(),
            "every status, as read at `now`: {statuses:?}"
        );
        for action_type in ActionType::ALL {
            assert!(
                data.actions.iter().any(|a| a.action_type == *action_type),
                "{action_type}"
            );
        }
        for priority in Priority::ALL {
            assert!(
                data.actions.iter().any(|a| a.priority == *priority),
                "{priority}"
            );
        }
        for channel in Channel::ALL {
            assert!(
                data.actions.iter().any(|a| a.channel == Some(*channel)),
                "{channel}"
            );
        }
        assert!(data.actions.iter().all(|a| a.headline.chars().count() > 10));
        assert!(data.actions.iter().all(|a| a.created_at <= now));
    }

    #[test]
    fn every_event_of_the_demo_keeps_versions_in_step() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .expect("valid")
            .to_utc();
        let data = DemoData::generate(now).expect("the demo goes through the domain");
        for action in &data.actions {
            let latest = data
                .events
                .iter()
                .filter(|e| e.action_id == action.id)
                .map(|e| e.version)
                .max();
            assert_eq!(latest, Some(action.version), "{}", action.id);
        }
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
