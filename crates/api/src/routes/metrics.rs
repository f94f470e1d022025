use actix_web::{get, web, web::Json};
use inbox_domain::metrics::Metrics;

use crate::{
    auth::{Authorized, Read},
    db,
    error::ApiError,
    state::AppState,
};

/// The metrics bar: pending review, approved and rejected in the last 24 hours, average review
/// time and approval rate over the last 7 days.
#[utoipa::path(
    tag = "metrics",
    responses(
        (status = 200, description = "The caller's location's metrics now.", body = Metrics),
        (status = 404, description = "The location does not exist."),
    )
)]
#[get("/metrics")]
pub async fn get_metrics(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<Json<Metrics>, ApiError> {
    let metrics = db::metrics::compute(&state.db, caller.location().id, state.clock.now()).await?;
    Ok(Json(metrics))
}
