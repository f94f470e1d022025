//! SeaORM entities, one per table. Enums are stored as their wire strings and parsed back
//! into domain types by the store.

pub mod action_events;
pub mod action_outcomes;
pub mod action_responses;
pub mod actions;
pub mod agents;
pub mod api_keys;
pub mod customer_history;
pub mod customers;
pub mod idempotency_keys;
pub mod locations;
pub mod sessions;
pub mod users;
