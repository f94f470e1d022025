use actix_web::{get, web};
use inbox_domain::dto::CustomerDetail;
use uuid::Uuid;

use crate::{
    auth::{Authorized, Read},
    db,
    error::ApiError,
    state::AppState,
};

/// A customer with their history (activity, communications, payments, tickets) and the
/// proactive actions proposed for them.
#[utoipa::path(
    tag = "customers",
    params(("id" = Uuid, Path, description = "The customer's id.")),
    responses(
        (status = 200, description = "The customer.", body = CustomerDetail),
        (status = 400, description = "The id is not a UUID."),
        (status = 404, description = "No such customer in this location."),
    )
)]
#[get("/customers/{id}")]
pub async fn get_customer(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    id: web::Path<Uuid>,
) -> Result<web::Json<CustomerDetail>, ApiError> {
    let customer = db::customers::get(
        &state.db,
        caller.location(),
        id.into_inner(),
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(customer))
}
