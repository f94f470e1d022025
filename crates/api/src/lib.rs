//! The AI Inbox server: REST API, Swagger UI and the SPA, over SQLite or PostgreSQL.

pub mod auth;
pub mod auth_cache;
pub mod bus;
pub mod cli;
pub mod client_address;
pub mod clock;
pub mod contract;
pub mod db;
pub mod error;
pub mod jobs;
pub mod json;
pub mod live_metrics;
pub mod observe;
pub mod openapi;
pub mod ops_metrics;
pub mod query;
pub mod rate_limit;
pub mod read_cache;
pub mod request_id;
pub mod routes;
pub mod seed;
pub mod services;
pub mod shutdown;
pub mod startup;
pub mod state;
