//! The AI Inbox server: REST API, Swagger UI and the SPA, over SQLite or PostgreSQL.

pub mod auth;
pub mod auth_cache;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod db;
pub mod error;
pub mod jobs;
pub mod json;
pub mod live_metrics;
pub mod openapi;
pub mod query;
pub mod rate_limit;
pub mod read_cache;
pub mod routes;
pub mod seed;
pub mod services;
pub mod startup;
pub mod state;
