//! The schema of AI Inbox. The same migrations run on SQLite and PostgreSQL; every table that
//! holds a location's data carries `location_id`, and its indexes lead with it.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_locations_and_customers;
mod m20261124_000002_create_agents;
mod m20261124_000003_create_actions;
mod m20261124_000004_create_idempotency_outcomes_responses;
mod m20261124_000005_create_users_sessions_api_keys;
mod m20261202_000006_create_deliveries;
mod m20261202_000007_create_webhooks;
mod m20261203_000008_segment_reads;
mod m20261203_000009_create_rate_windows;
mod m20261203_000010_customer_search_trigrams;
mod m20261203_000011_customer_search_sqlite;
mod m20261203_000012_customer_segment_index;
mod m20261203_000013_covering_segment_indexes;
mod m20261203_000014_sort_indexes;
mod m20261204_000015_agent_key_proposals;
mod m20261204_000016_review_leases_and_safeguards;
mod m20261204_000017_precondition_url;
mod m20261204_000018_insight_tallies;
mod m20261204_000019_autonomy_paused;
mod m20261204_000020_audit_sample;
mod m20261204_000021_insight_read_index;
mod m20261204_000022_notices;
mod m20261205_000023_draft_edit_index;
mod m20261206_000024_partial_decision_indexes;
mod m20261206_000025_unchecked_history_references;
mod m20261206_000026_derived_text_alternative;
mod tables;

/// The tallies Insights draw, as the index that holds them says it (see migration 000021).
pub use m20261204_000021_insight_read_index::DRAWN as DRAWN_TALLIES;

/// The history entries that can carry a draft edit, as the index that holds them says it (see
/// migration 000023).
pub use m20261205_000023_draft_edit_index::DRAFT_EDITS;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_locations_and_customers::Migration),
            Box::new(m20261124_000002_create_agents::Migration),
            Box::new(m20261124_000003_create_actions::Migration),
            Box::new(m20261124_000004_create_idempotency_outcomes_responses::Migration),
            Box::new(m20261124_000005_create_users_sessions_api_keys::Migration),
            Box::new(m20261202_000006_create_deliveries::Migration),
            Box::new(m20261202_000007_create_webhooks::Migration),
            Box::new(m20261203_000008_segment_reads::Migration),
            Box::new(m20261203_000009_create_rate_windows::Migration),
            Box::new(m20261203_000010_customer_search_trigrams::Migration),
            Box::new(m20261203_000011_customer_search_sqlite::Migration),
            Box::new(m20261203_000012_customer_segment_index::Migration),
            Box::new(m20261203_000013_covering_segment_indexes::Migration),
            Box::new(m20261203_000014_sort_indexes::Migration),
            Box::new(m20261204_000015_agent_key_proposals::Migration),
            Box::new(m20261204_000016_review_leases_and_safeguards::Migration),
            Box::new(m20261204_000017_precondition_url::Migration),
            Box::new(m20261204_000018_insight_tallies::Migration),
            Box::new(m20261204_000019_autonomy_paused::Migration),
            Box::new(m20261204_000020_audit_sample::Migration),
            Box::new(m20261204_000021_insight_read_index::Migration),
            Box::new(m20261204_000022_notices::Migration),
            Box::new(m20261205_000023_draft_edit_index::Migration),
            Box::new(m20261206_000024_partial_decision_indexes::Migration),
            Box::new(m20261206_000025_unchecked_history_references::Migration),
            Box::new(m20261206_000026_derived_text_alternative::Migration),
        ]
    }
}
