//! Insight tallies: what each day saw, per location, agent and action type, added to in the
//! transaction of every history entry ([`record`]), read a period at a time ([`rows`]), and
//! rebuilt from the history when it was written past them (a seed, [`rebuild`]). The rules of
//! what counts are the domain's (`inbox_domain::insights`).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use inbox_domain::{
    insights::{
        edit_between, edit_intensity, tallies, DecisionRecord, EditIntensity, EntryFacts, Tally,
        TallyRow,
    },
    ActionStatus, ActionType, EventKind, RejectionReason,
};
use sea_orm::{
    sea_query::{Alias, Expr, Func, InsertStatement, OnConflict, SimpleExpr},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use uuid::Uuid;

use super::{
    entities::{
        action_events, action_outcomes, actions, agents, api_keys,
        insight_tallies::{self, Column},
        locations,
    },
    StoreError,
};

/// Tallies written by one statement (well under PostgreSQL's 65,535 parameters).
const TALLIES_PER_STATEMENT: usize = 5_000;
/// History entries replayed per step of a rebuild.
const REBUILD_PAGE: u64 = 2_000;

/// Where a tally goes: location, local day, agent, action type, tally.
pub type TallyKey = (Uuid, NaiveDate, Uuid, ActionType, String);

/// The draft as one text, for the edit distance.
fn draft_text(subject: Option<&str>, body: Option<&str>, script: Option<&str>) -> String {
    [subject, body, script]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
}

/// An action's draft as it stands, which its edits are measured against: a whole row or the
/// part of it the tallies read.
trait Draft {
    /// Its subject, body and script.
    fn fields(&self) -> [Option<&str>; 3];
}

impl Draft for actions::Model {
    fn fields(&self) -> [Option<&str>; 3] {
        [
            self.subject.as_deref(),
            self.body.as_deref(),
            self.script.as_deref(),
        ]
    }
}

/// What the tallies read of an action, as it stands after the entries they count: every
/// column they depend on, and not the JSON ones, whose decoding had been about half of the
/// 10 ms a bulk approval of 500 spent reading its rows again. A bulk update returns it of each
/// row it changed, so that those are not read again at all.
#[derive(Debug, FromQueryResult)]
pub(crate) struct TalliedAction {
    pub(crate) id: Uuid,
    location_id: Uuid,
    agent_id: Uuid,
    action_type: ActionType,
    confidence: i16,
    first_reviewed_at: Option<DateTime<Utc>>,
    review_time_seconds: Option<i64>,
    rejection_reason: Option<RejectionReason>,
    auto_executed_at: Option<DateTime<Utc>>,
    subject: Option<String>,
    body: Option<String>,
    script: Option<String>,
}

impl TalliedAction {
    /// The columns read into it.
    pub(crate) const COLUMNS: [actions::Column; 12] = [
        actions::Column::Id,
        actions::Column::LocationId,
        actions::Column::AgentId,
        actions::Column::ActionType,
        actions::Column::Confidence,
        actions::Column::FirstReviewedAt,
        actions::Column::ReviewTimeSeconds,
        actions::Column::RejectionReason,
        actions::Column::AutoExecutedAt,
        actions::Column::Subject,
        actions::Column::Body,
        actions::Column::Script,
    ];

    /// An action of a history loaded past the review flow: never edited, so its draft's text is
    /// not needed (and not copied).
    fn unedited(row: &actions::Model) -> TalliedAction {
        TalliedAction {
            id: row.id,
            location_id: row.location_id,
            agent_id: row.agent_id,
            action_type: row.action_type,
            confidence: row.confidence,
            first_reviewed_at: row.first_reviewed_at,
            review_time_seconds: row.review_time_seconds,
            rejection_reason: row.rejection_reason,
            auto_executed_at: row.auto_executed_at,
            subject: None,
            body: None,
            script: None,
        }
    }
}

impl Draft for TalliedAction {
    fn fields(&self) -> [Option<&str>; 3] {
        [
            self.subject.as_deref(),
            self.body.as_deref(),
            self.script.as_deref(),
        ]
    }
}

/// `rows` by id.
fn by_id<R>(rows: &[R], id: impl Fn(&R) -> Uuid) -> HashMap<Uuid, &R> {
    rows.iter().map(|row| (id(row), row)).collect()
}

/// The tallies' summed `value`: PostgreSQL sums a BIGINT as a NUMERIC, so back to a BIGINT.
fn summed_value() -> SimpleExpr {
    Func::cast_as(Func::sum(Expr::col(Column::Value)), Alias::new("BIGINT")).into()
}

/// The draft of `row` as it stands, as one text.
fn final_text(row: &impl Draft) -> String {
    let [subject, body, script] = row.fields();
    draft_text(subject, body, script)
}

/// Each edited action's text as proposed: each field as the first edit of it found it, the
/// others as they stand. `edits` are the actions' entries with an edit record, in order.
fn proposed_texts<D: Draft>(
    rows: &HashMap<Uuid, &D>,
    edits: &[action_events::Model],
) -> HashMap<Uuid, String> {
    let mut proposed: HashMap<Uuid, HashMap<String, Option<String>>> = HashMap::new();
    for edit in edits {
        let Some(before) = edit.data["edit"]["before"].as_object() else {
            continue;
        };
        let fields = proposed.entry(edit.action_id).or_default();
        for (field, value) in before {
            fields
                .entry(field.clone())
                .or_insert_with(|| value.as_str().map(str::to_owned));
        }
    }
    proposed
        .into_iter()
        .filter_map(|(id, fields)| {
            let row = rows.get(&id)?;
            let [subject, body, script] = row.fields();
            let was = |field: &str, now: Option<&str>| -> Option<String> {
                fields
                    .get(field)
                    .cloned()
                    .unwrap_or_else(|| now.map(str::to_owned))
            };
            let text = draft_text(
                was("subject", subject).as_deref(),
                was("body", body).as_deref(),
                was("script", script).as_deref(),
            );
            Some((id, text))
        })
        .collect()
}

/// How much each approved action's draft was edited: its text as approved (the row now) against
/// its text as proposed.
fn approval_edits(
    rows: &HashMap<Uuid, &TalliedAction>,
    edits: &[action_events::Model],
) -> HashMap<Uuid, EditIntensity> {
    proposed_texts(rows, edits)
        .into_iter()
        .filter_map(|(id, proposed)| {
            let row = rows.get(&id)?;
            Some((id, edit_intensity(&proposed, &final_text(*row))))
        })
        .collect()
}

/// The entries of `action_ids` (of `location_ids`) that edited their draft, in order.
async fn edits_of<C: ConnectionTrait>(
    db: &C,
    location_ids: &[Uuid],
    action_ids: &[Uuid],
) -> Result<Vec<action_events::Model>, DbErr> {
    if action_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut edits = action_events::Entity::find()
        // The history's index leads with the location: without it, every entry is read (0.3 s
        // for a bulk approval of 500 with a million actions' history).
        .filter(action_events::Column::LocationId.is_in(location_ids.iter().copied()))
        .filter(action_events::Column::ActionId.is_in(action_ids.iter().copied()))
        // The entries that can carry an edit (edited, approved), written as the index that holds
        // only them says it: the usual action, never edited, costs one look into that index.
        .filter(Expr::cust(inbox_migrations::DRAFT_EDITS))
        .order_by_asc(action_events::Column::Version)
        .all(db)
        .await?;
    edits.retain(|event| event.data.get("edit").is_some());
    Ok(edits)
}

/// What `entries` add to their days' tallies, by where each goes.
async fn tallied<C: ConnectionTrait>(
    db: &C,
    entries: &[action_events::Model],
    mut changed: Vec<TalliedAction>,
) -> Result<BTreeMap<TallyKey, i64>, DbErr> {
    let known: HashSet<Uuid> = changed.iter().map(|row| row.id).collect();
    let mut action_ids: Vec<Uuid> = entries
        .iter()
        .map(|entry| entry.action_id)
        .filter(|id| !known.contains(id))
        .collect();
    action_ids.sort();
    action_ids.dedup();
    if !action_ids.is_empty() {
        changed.extend(
            actions::Entity::find()
                .select_only()
                .columns(TalliedAction::COLUMNS)
                .filter(actions::Column::Id.is_in(action_ids.iter().copied()))
                .into_model::<TalliedAction>()
                .all(db)
                .await?,
        );
    }
    let rows = by_id(&changed, |row| row.id);
    let mut location_ids: Vec<Uuid> = rows.values().map(|row| row.location_id).collect();
    location_ids.sort();
    location_ids.dedup();
    let zones: HashMap<Uuid, chrono_tz::Tz> = locations::Entity::find()
        .filter(locations::Column::Id.is_in(location_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|location| (location.id, location.zone()))
        .collect();
    let approved: Vec<Uuid> = entries
        .iter()
        .filter(|entry| {
            matches!(
                entry.kind,
                EventKind::Approved | EventKind::ApprovedForLater
            )
        })
        .map(|entry| entry.action_id)
        .collect();
    // Every edit of the approved actions, in order: the ones before this change and its own.
    let mut edits = edits_of(db, &location_ids, &approved).await?;
    edits.extend(
        entries
            .iter()
            .filter(|event| event.data.get("edit").is_some())
            .cloned(),
    );
    edits.sort_by_key(|event| (event.action_id, event.version, event.id));
    edits.dedup_by_key(|event| event.id);
    let intensities = approval_edits(&rows, &edits);
    let agents = agent_keys(db, entries).await?;

    Ok(count(entries, &rows, &zones, &intensities, &agents))
}

/// Which of `entries`' actors are agents' own API keys (`key:<id>` of a key bound to an
/// agent): their reviews are not a person's, so an agent never earns autonomy by approving
/// its own proposals.
async fn agent_keys<C: ConnectionTrait>(
    db: &C,
    entries: &[action_events::Model],
) -> Result<HashSet<String>, DbErr> {
    let mut key_ids: Vec<Uuid> = entries
        .iter()
        .filter_map(|entry| entry.actor.strip_prefix("key:")?.parse().ok())
        .collect();
    if key_ids.is_empty() {
        return Ok(HashSet::new());
    }
    key_ids.sort();
    key_ids.dedup();
    let bound: Vec<Uuid> = api_keys::Entity::find()
        .select_only()
        .column(api_keys::Column::Id)
        .filter(api_keys::Column::Id.is_in(key_ids))
        .filter(api_keys::Column::AgentId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(bound.into_iter().map(|id| format!("key:{id}")).collect())
}

/// What `entries` add to their days' tallies, given their actions as they stand after them
/// (`rows`), their locations' time zones, how much each approved action was edited and which
/// actors are agents' own keys (not people).
fn count(
    entries: &[action_events::Model],
    rows: &HashMap<Uuid, &TalliedAction>,
    zones: &HashMap<Uuid, chrono_tz::Tz>,
    intensities: &HashMap<Uuid, EditIntensity>,
    agent_keys: &HashSet<String>,
) -> BTreeMap<TallyKey, i64> {
    // In key order, so that concurrent writers lock the same rows in the same order.
    let mut sums: BTreeMap<TallyKey, i64> = BTreeMap::new();
    for entry in entries {
        let Some(row) = rows.get(&entry.action_id) else {
            continue;
        };
        let zone = zones
            .get(&row.location_id)
            .copied()
            .unwrap_or(chrono_tz::UTC);
        let day = entry.occurred_at.with_timezone(&zone).date_naive();
        let by_person = entry.actor.starts_with("user:")
            || (entry.actor.starts_with("key:") && !agent_keys.contains(&entry.actor));
        let first_review = by_person && row.first_reviewed_at == Some(entry.occurred_at);
        let facts = EntryFacts {
            kind: entry.kind,
            auto_executed_at_once: entry.kind == EventKind::Proposed
                && entry.to_status == Some(ActionStatus::AutoExecuted),
            edit: intensities.get(&row.id).copied(),
            rejection_reason: row.rejection_reason,
            outcome: entry.data["kind"]
                .as_str()
                .and_then(|kind| kind.parse().ok()),
            first_review_seconds: first_review.then_some(row.review_time_seconds).flatten(),
            by_person,
            confidence: super::actions::list::confidence(row.confidence)
                .unwrap_or(inbox_domain::Confidence::MAX),
            auto_executed_action: row.auto_executed_at.is_some(),
        };
        for (tally, value) in tallies(&facts) {
            let key = (
                row.location_id,
                day,
                row.agent_id,
                row.action_type,
                tally.key(),
            );
            *sums.entry(key).or_default() += value;
        }
    }
    sums
}

/// What actions made past the review flow (a bulk-loaded history of `zone`'s location, never
/// edited) and their history entries add to the tallies: add them up over a whole load and
/// write them with [`statements`].
pub fn loaded_history_sums(
    rows: &[actions::Model],
    entries: &[action_events::Model],
    zone: chrono_tz::Tz,
) -> BTreeMap<TallyKey, i64> {
    let rows: Vec<TalliedAction> = rows.iter().map(TalliedAction::unedited).collect();
    let rows = by_id(&rows, |row| row.id);
    let zones: HashMap<Uuid, chrono_tz::Tz> =
        rows.values().map(|row| (row.location_id, zone)).collect();
    count(entries, &rows, &zones, &HashMap::new(), &HashSet::new())
}

/// The statements that add `sums` to the stored tallies.
pub fn statements(sums: BTreeMap<TallyKey, i64>) -> Vec<InsertStatement> {
    models(sums)
        .chunks(TALLIES_PER_STATEMENT)
        .map(|chunk| upsert(chunk.to_vec()).into_query())
        .collect()
}

/// The rows that hold `sums`.
fn models(sums: BTreeMap<TallyKey, i64>) -> Vec<insight_tallies::ActiveModel> {
    sums.into_iter()
        .map(
            |((location_id, day, agent_id, action_type, tally), value)| {
                insight_tallies::ActiveModel {
                    location_id: Set(location_id),
                    day: Set(day),
                    agent_id: Set(agent_id),
                    action_type: Set(action_type),
                    tally: Set(tally),
                    value: Set(value),
                }
            },
        )
        .collect()
}

/// Inserts `models`, adding each to the tally already there.
fn upsert(
    models: Vec<insight_tallies::ActiveModel>,
) -> sea_orm::Insert<insight_tallies::ActiveModel> {
    insight_tallies::Entity::insert_many(models).on_conflict(
        OnConflict::columns([
            Column::LocationId,
            Column::Day,
            Column::AgentId,
            Column::ActionType,
            Column::Tally,
        ])
        // What was there, plus what this statement brings.
        .value(
            Column::Value,
            Expr::col((insight_tallies::Entity, Column::Value))
                .add(Expr::col((Alias::new("excluded"), Column::Value))),
        )
        .to_owned(),
    )
}

/// Adds `sums` to the stored tallies.
async fn add<C: ConnectionTrait>(db: &C, sums: BTreeMap<TallyKey, i64>) -> Result<(), DbErr> {
    for chunk in models(sums).chunks(TALLIES_PER_STATEMENT) {
        upsert(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Adds what `entries` (history entries being written, their actions already changed in the
/// same transaction) count to their days' tallies. `changed` are those actions as their change
/// left them, where the writer has them; the others are read.
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    entries: &[action_events::Model],
    changed: Vec<TalliedAction>,
) -> Result<(), DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let sums = tallied(db, entries, changed).await?;
    add(db, sums).await
}

/// The location's tallies from `first` to `last` (local days, both included), optionally of one
/// agent and one action type, summed over what is not asked for.
pub async fn rows<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    (first, last): (NaiveDate, NaiveDate),
    agent_id: Option<Uuid>,
    action_type: Option<ActionType>,
) -> Result<Vec<TallyRow>, DbErr> {
    let mut query = insight_tallies::Entity::find()
        .select_only()
        .column(Column::Day)
        .column(Column::AgentId)
        .column(Column::Tally)
        .column_as(summed_value(), "value")
        .filter(Column::LocationId.eq(location_id))
        .filter(Column::Day.gte(first))
        .filter(Column::Day.lte(last))
        // Earned autonomy's evidence is not drawn. Written as the index of the drawn tallies
        // says it (not bound as parameters), so the planner knows the index holds these rows.
        .filter(Expr::cust(inbox_migrations::DRAWN_TALLIES))
        .group_by(Column::Day)
        .group_by(Column::AgentId)
        .group_by(Column::Tally);
    if let Some(agent_id) = agent_id {
        query = query.filter(Column::AgentId.eq(agent_id));
    }
    if let Some(action_type) = action_type {
        query = query.filter(Column::ActionType.eq(action_type));
    }
    let found = query
        .into_tuple::<(NaiveDate, Uuid, String, i64)>()
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(date, agent_id, tally, value)| {
            Some(TallyRow {
                date,
                agent_id,
                tally: Tally::parse(&tally)?,
                value,
            })
        })
        .collect())
}

/// The location's tallies from `first` to `last`, summed per agent and action type.
pub async fn by_agent_and_type<C: ConnectionTrait>(
    db: &C,
    location_id: Uuid,
    (first, last): (NaiveDate, NaiveDate),
) -> Result<Vec<(Uuid, ActionType, Tally, i64)>, DbErr> {
    let found = insight_tallies::Entity::find()
        .select_only()
        .column(Column::AgentId)
        .column(Column::ActionType)
        .column(Column::Tally)
        .column_as(summed_value(), "value")
        .filter(Column::LocationId.eq(location_id))
        .filter(Column::Day.gte(first))
        .filter(Column::Day.lte(last))
        .group_by(Column::AgentId)
        .group_by(Column::ActionType)
        .group_by(Column::Tally)
        .into_tuple::<(Uuid, ActionType, String, i64)>()
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(agent_id, action_type, tally, value)| {
            Some((agent_id, action_type, Tally::parse(&tally)?, value))
        })
        .collect())
}

/// Counts the location's whole history again, in one transaction (nothing is half-counted if it
/// fails): for data written past [`record`], such as a seed, while nothing else writes.
pub async fn rebuild(db: &DatabaseConnection, location_id: Uuid) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    insight_tallies::Entity::delete_many()
        .filter(Column::LocationId.eq(location_id))
        .exec(&txn)
        .await?;
    let mut after: Option<Uuid> = None;
    loop {
        let mut page = action_events::Entity::find()
            .filter(action_events::Column::LocationId.eq(location_id))
            .order_by_asc(action_events::Column::Id)
            .limit(REBUILD_PAGE);
        if let Some(after) = after {
            page = page.filter(action_events::Column::Id.gt(after));
        }
        let entries = page.all(&txn).await?;
        let Some(last) = entries.last() else {
            return txn.commit().await;
        };
        after = Some(last.id);
        let sums = tallied(&txn, &entries, Vec::new()).await?;
        add(&txn, sums).await?;
    }
}

/// One page of the location's decided actions (approved, rejected, auto-executed or expired),
/// by id after `after` (the order proposals came in through the API), as the decisions export
/// writes them.
pub async fn decisions_page(
    db: &DatabaseConnection,
    location_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<DecisionRecord>, StoreError> {
    let mut page = actions::Entity::find()
        .filter(actions::Column::LocationId.eq(location_id))
        .filter(actions::Column::Status.is_in([
            ActionStatus::Approved,
            ActionStatus::Rejected,
            ActionStatus::AutoExecuted,
            ActionStatus::Expired,
        ]))
        .order_by_asc(actions::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        page = page.filter(actions::Column::Id.gt(after));
    }
    let found = page.all(db).await?;
    let ids: Vec<Uuid> = found.iter().map(|row| row.id).collect();
    let rows = by_id(&found, |row| row.id);
    let proposed = proposed_texts(&rows, &edits_of(db, &[location_id], &ids).await?);
    let mut outcomes: HashMap<Uuid, Vec<String>> = HashMap::new();
    for outcome in action_outcomes::Entity::find()
        .filter(action_outcomes::Column::LocationId.eq(location_id))
        .filter(action_outcomes::Column::ActionId.is_in(ids))
        .order_by_asc(action_outcomes::Column::OccurredAt)
        .all(db)
        .await?
    {
        outcomes
            .entry(outcome.action_id)
            .or_default()
            .push(outcome.kind.to_string());
    }
    let agents: HashMap<Uuid, String> = agents::Entity::find()
        .filter(agents::Column::LocationId.eq(location_id))
        .all(db)
        .await?
        .into_iter()
        .map(|agent| (agent.id, agent.name))
        .collect();
    found
        .into_iter()
        .map(|row| {
            let final_text = final_text(&row);
            let proposed_text = proposed
                .get(&row.id)
                .cloned()
                .unwrap_or_else(|| final_text.clone());
            let (edit_distance, edit_intensity) = edit_between(&proposed_text, &final_text);
            Ok(DecisionRecord {
                action_id: row.id,
                agent: agents.get(&row.agent_id).cloned().unwrap_or_default(),
                action_type: row.action_type,
                channel: row.channel,
                confidence: super::actions::list::confidence(row.confidence)?,
                proposed_at: row.created_at,
                decision: row.status,
                decided_at: row
                    .approved_at
                    .or(row.rejected_at)
                    .or(row.auto_executed_at)
                    .or(row.expired_at),
                rejection_reason: row.rejection_reason,
                note: row.rejection_note.clone().or(row.snooze_note.clone()),
                proposed_text,
                final_text,
                edit_distance,
                edit_intensity,
                outcomes: outcomes.remove(&row.id).unwrap_or_default().join(","),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The read of earlier edits names the kinds as the index does: every kind whose entry can
    /// carry an edit must be in it, or its edits would go uncounted.
    #[test]
    fn the_draft_edits_index_holds_every_kind_that_records_an_edit() {
        for kind in [
            EventKind::Edited,
            EventKind::Approved,
            EventKind::ApprovedForLater,
        ] {
            let quoted = format!("'{}'", kind.as_str());
            assert!(
                inbox_migrations::DRAFT_EDITS.contains(&quoted),
                "{quoted} is missing from {}",
                inbox_migrations::DRAFT_EDITS
            );
        }
    }
}
