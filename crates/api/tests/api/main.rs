//! API integration tests: each starts the real server on a random port against a fresh
//! database, on SQLite and on PostgreSQL.

mod helpers;

mod actions;
mod health;
mod metrics;
mod openapi;
mod seed;
