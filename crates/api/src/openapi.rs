//! The OpenAPI document. Paths are collected from the registered handlers
//! (utoipa-actix-web), so what is served and what is documented cannot drift apart.

use actix_web::{
    dev::{ServiceFactory, ServiceRequest},
    web, App, HttpRequest, HttpResponse,
};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt, UtoipaApp};

use crate::{error::ApiError, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AI Inbox API",
        version = "1.0.0",
        description = "Proactive AI agents propose outbound actions (emails, voice calls, notes, \
tasks); nothing reaches a customer until a person approves it. This API lets agents and \
integrations propose actions and read outcomes, and powers the review SPA.\n\n\
Authenticate with `Authorization: Bearer <API key>` (scopes `actions:propose`, `actions:read`, \
`actions:review`, `agents:admin`) or, in the browser, the session cookie from `POST /api/v1/auth/sign-in`. \
Everything a caller sees belongs to their own location. Errors are RFC 9457 `application/problem+json`. Lists use cursor pagination: pass `next_cursor` \
back as `cursor` with the same filters and sort.",
        license(name = "MIT")
    ),
    tags(
        (name = "actions", description = "Proposed actions: propose, list, detail, review (one at a time or in bulk), outcomes and responses."),
        (name = "agents", description = "The proactive agents (criteria types) and their auto-execute settings."),
        (name = "customers", description = "Customers and their history."),
        (name = "deliveries", description = "What approved and auto-executed actions sent: the delivery outbox."),
        (name = "webhooks", description = "Outbound webhooks for integrations: endpoints, signed messages and their delivery logs."),
        (name = "metrics", description = "The metrics bar, overall and per agent."),
        (name = "notifications", description = "A reviewer's notices: the digest, immediate emails about critical and expiring actions, browser notifications, and revoking their one-click decision links."),
        (name = "events", description = "Live updates as Server-Sent Events."),
        (name = "auth", description = "Signing in, and the API keys of integrations and agents."),
        (name = "health", description = "Liveness and readiness probes."),
    ),
    components(schemas(
        inbox_domain::Problem,
        inbox_domain::FieldError,
        inbox_domain::dto::ActionChanged,
        inbox_domain::safeguards::PresenceChanged,
        inbox_domain::metrics::Metrics,
        inbox_domain::webhook::WebhookMessage
    ))
)]
pub struct ApiDoc;

/// The documented routes: health probes and `/api/v1`. Shared by the server and
/// [`document`].
pub fn with_documented_routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(ApiDoc::openapi())
        .service(routes::health::healthz)
        .service(routes::health::readyz)
        .service(
            scope::scope("/api/v1")
                .configure(routes::configure_api)
                .default_service(web::to(api_route_not_found)),
        )
}

/// Any other request under `/api/v1`, as problem+json (not the SPA): a 405 naming the methods
/// of a documented path asked with another (`TRACE`, say), else a 404.
pub async fn api_route_not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed = methods_of(request.path());
    if allowed.is_empty() {
        Err(ApiError::NotFound(
            "No such API endpoint; see /docs/ for the API.".into(),
        ))
    } else {
        Err(ApiError::MethodNotAllowed { allowed })
    }
}

/// The methods the document lists for the path that `path` (a request's) matches, upper case;
/// none when it matches no documented path. `{id}` in a documented path matches any segment.
pub fn methods_of(path: &str) -> Vec<String> {
    static PATHS: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> = std::sync::OnceLock::new();
    let paths = PATHS.get_or_init(|| {
        served_document()["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(template, operations)| {
                let segments = template.split('/').map(str::to_owned).collect();
                let methods = operations
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(method, _)| method.to_uppercase())
                    .collect();
                (segments, methods)
            })
            .collect()
    });
    let asked: Vec<&str> = path.split('/').collect();
    // How many fixed segments a documented path shares with the request, if it matches it: the
    // most specific paths win (`/actions/bulk` over `/actions/{id}`), as in routing.
    let fixed_segments = |template: &Vec<String>| {
        let matches = template.len() == asked.len()
            && template.iter().zip(&asked).all(|(expected, given)| {
                expected == given || (expected.starts_with('{') && !given.is_empty())
            });
        matches.then(|| {
            template
                .iter()
                .filter(|segment| !segment.starts_with('{'))
                .count()
        })
    };
    let most_specific = paths
        .iter()
        .filter_map(|(template, _)| fixed_segments(template))
        .max();
    let mut methods: Vec<String> = paths
        .iter()
        .filter(|(template, _)| {
            most_specific.is_some() && fixed_segments(template) == most_specific
        })
        .flat_map(|(_, methods)| methods.iter().cloned())
        .collect();
    methods.sort();
    methods.dedup();
    methods
}

/// The document exactly as `GET /api-docs/openapi.json` serves it: the routes' annotations,
/// completed, with the rules of [`crate::contract`] that annotations cannot state.
pub fn served_document() -> &'static serde_json::Value {
    static SERVED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SERVED.get_or_init(|| {
        let mut served = serde_json::to_value(document()).unwrap_or_default();
        crate::contract::tighten(&mut served);
        served
    })
}

/// The complete document of the routes' annotations.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut document) = with_documented_routes(App::new().into_utoipa_app()).split_for_parts();
    complete(&mut document);
    document
}

/// What the handlers' annotations leave to one place: security, the 401 and 403 of every
/// protected operation, and the problem+json body of every error response.
fn complete(document: &mut utoipa::openapi::OpenApi) {
    add_security(document);
    add_problem_bodies(document);
}

/// Every operation of the document.
fn operations(
    document: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    document.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
    })
}

/// The problem+json body of an error response: every 4xx and 5xx an operation declares.
fn problem_body() -> utoipa::openapi::Content {
    utoipa::openapi::ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
        .build()
}

/// Gives each declared error response (status 400 and up) the problem+json body, so the
/// handlers declare only its status and what it means.
fn add_problem_bodies(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for operation in operations(document) {
        for (status, response) in &mut operation.responses.responses {
            let is_error = status.parse::<u16>().is_ok_and(|code| code >= 400);
            if let (true, RefOr::T(response)) = (is_error, response) {
                if response.content.is_empty() {
                    response
                        .content
                        .insert("application/problem+json".to_owned(), problem_body());
                }
            }
        }
    }
}

/// Declares how callers authenticate (so Swagger UI offers to paste a token) and adds the
/// 401 and 403 answers to every operation that is not public (`security(())`).
fn add_security(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
        ResponseBuilder,
    };
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("An API key (`inbox_key_…`, from an admin or `inbox token create`) or a session token."))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::SESSION_COOKIE,
            "The SPA's session, set by POST /api/v1/auth/sign-in; changes also need the X-CSRF-Token header.",
        ))),
    );
    document.security = Some(vec![
        SecurityRequirement::new("bearer", Vec::<String>::new()),
        SecurityRequirement::new("session", Vec::<String>::new()),
    ]);
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", problem_body())
            .build()
    };
    for operation in operations(document) {
        let public = operation.security.as_ref().is_some_and(|requirements| {
            requirements
                .iter()
                .all(|r| *r == SecurityRequirement::default())
        });
        if public {
            continue;
        }
        let responses = &mut operation.responses.responses;
        responses.entry("401".into()).or_insert_with(|| {
            problem("No credentials, or an unknown, revoked or expired token.").into()
        });
        responses.entry("403".into()).or_insert_with(|| {
                problem("The credentials lack the scope this needs (or a session cookie came without its CSRF token).").into()
            });
    }
}
