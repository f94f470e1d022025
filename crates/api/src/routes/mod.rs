//! HTTP handlers: extract, convert, call the store or a service, return a view.

pub mod actions;
pub mod health;
pub mod metrics;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/api/v1` handler.
pub fn configure_api(config: &mut ServiceConfig) {
    config
        .service(actions::list_actions)
        .service(actions::get_action)
        .service(metrics::get_metrics);
}
