//! SeaORM entities, one per table. Enum columns hold the domain's enums (stored as their wire
//! strings), so a stored value is parsed once, by the ORM.

pub mod action_counts;
pub mod action_events;
pub mod action_outcomes;
pub mod action_responses;
pub mod actions;
pub mod agents;
pub mod api_keys;
pub mod customer_history;
pub mod customers;
pub mod deliveries;
pub mod idempotency_keys;
pub mod insight_tallies;
pub mod locations;
pub mod notices;
pub mod rate_windows;
pub mod review_leases;
pub mod sessions;
pub mod used_decision_links;
pub mod users;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
