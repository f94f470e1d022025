//! SeaORM entities, one per table. Enums are stored as their wire strings and parsed back
//! into domain types by the store.

pub mod action_events;
pub mod actions;
pub mod agents;
pub mod customer_history;
pub mod customers;
pub mod locations;
