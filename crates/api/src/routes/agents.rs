use actix_web::{get, patch, web};
use inbox_domain::dto::{Agent, UpdateAgent};
use uuid::Uuid;

use crate::{
    auth::{Admin, Authorized, Read},
    error::ApiError,
    json::Json,
    services,
    state::AppState,
};

/// The proactive agents (criteria types) of the location, by name.
#[utoipa::path(
    tag = "agents",
    responses(
        (status = 200, description = "Every agent.", body = Vec<Agent>),
        (status = 404, description = "The location does not exist."),
    )
)]
#[get("/agents")]
pub async fn list_agents(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<Vec<Agent>>, ApiError> {
    Ok(web::Json(
        services::agents::list(&state.db, caller.location().id).await?,
    ))
}

/// One agent and its settings.
#[utoipa::path(
    tag = "agents",
    params(("id" = Uuid, Path, description = "The agent's id.")),
    responses(
        (status = 200, description = "The agent.", body = Agent),
        (status = 400, description = "The id is not a UUID."),
        (status = 404, description = "No such agent in this location."),
    )
)]
#[get("/agents/{id}")]
pub async fn get_agent(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Agent>, ApiError> {
    Ok(web::Json(
        services::agents::get(&state.db, caller.location().id, id.into_inner()).await?,
    ))
}

/// Change an agent: enable or disable it, choose the action types it may send without review and
/// the confidence they need, and its default time to expire.
#[utoipa::path(
    tag = "agents",
    request_body = UpdateAgent,
    params(("id" = Uuid, Path, description = "The agent's id.")),
    responses(
        (status = 200, description = "The updated agent.", body = Agent),
        (status = 400, description = "Malformed id or body (e.g. an unknown action type)."),
        (status = 404, description = "No such agent in this location."),
        (status = 422, description = "A threshold outside 0–100 or an expiry outside 1 hour–90 days."),
    )
)]
#[patch("/agents/{id}")]
pub async fn update_agent(
    state: web::Data<AppState>,
    caller: Authorized<Admin>,
    id: web::Path<Uuid>,
    body: Json<UpdateAgent>,
) -> Result<web::Json<Agent>, ApiError> {
    let agent = services::agents::update(
        &state.db,
        caller.location().id,
        id.into_inner(),
        &body.value,
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(agent))
}
