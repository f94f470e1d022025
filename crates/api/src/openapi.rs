//! The OpenAPI document. Paths are collected from the registered handlers
//! (utoipa-actix-web), so what is served and what is documented cannot drift apart.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::startup::with_documented_routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AI Inbox API",
        version = "1.0.0",
        description = "Proactive AI agents propose outbound actions (emails, voice calls, notes, \
tasks); nothing reaches a customer until a person approves it. This API lets agents and \
integrations propose actions and read outcomes, and powers the review SPA.\n\n\
Errors are RFC 9457 `application/problem+json`. Lists use cursor pagination: pass `next_cursor` \
back as `cursor` with the same filters and sort.",
        license(name = "MIT")
    ),
    tags(
        (name = "actions", description = "Proposed actions: propose, list, detail, review (one at a time or in bulk), outcomes and responses."),
        (name = "agents", description = "The proactive agents (criteria types) and their auto-execute settings."),
        (name = "customers", description = "Customers and their history."),
        (name = "metrics", description = "The metrics bar, overall and per agent."),
        (name = "events", description = "Live updates as Server-Sent Events."),
        (name = "health", description = "Liveness and readiness probes."),
    ),
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        inbox_domain::dto::ActionChanged,
        inbox_domain::metrics::Metrics
    ))
)]
pub struct ApiDoc;

/// The complete document, exactly as `GET /api-docs/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, document) = with_documented_routes(App::new().into_utoipa_app()).split_for_parts();
    document
}
