//! API integration tests: each starts the real server on a random port against a fresh
//! database, on SQLite and on PostgreSQL.

mod helpers;
mod outside;

mod actions;
mod agents;
mod bulk;
mod counts;
mod crash;
mod deliveries;
mod delivery_worker;
mod events;
mod filters;
mod health;
mod hostile_input;
mod housekeeping;
mod idempotency;
mod insights;
mod metrics;
mod notices;
mod openapi;
mod operations;
mod presence;
mod propose;
mod queries;
mod races;
mod read_cache;
mod review;
mod security;
mod seed;
mod sort_plans;
mod staleness;
mod time;
mod web_app;
mod webhooks;
