use actix_web::{get, web, web::Json};
use inbox_domain::metrics::Metrics;

use crate::{
    auth::{Authorized, Read},
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
    // The same metrics the location's event streams were sent, when nothing changed since and
    // they are less than a second old: a burst of requests costs one computation.
    let metrics = state
        .live_metrics
        .of(
            &state.db,
            &state.bus,
            caller.location().id,
            state.clock.now(),
        )
        .await?;
    Ok(Json(metrics))
}
