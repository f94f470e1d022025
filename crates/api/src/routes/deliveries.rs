//! The delivery outbox: what went (or goes) out, exactly as the customer receives it.

use actix_web::{get, post, web};
use inbox_domain::{
    delivery::{Delivery, DeliveryState},
    dto::Page,
    problem::FieldErrors,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{
    auth::{Authorized, Read, Review},
    db,
    error::ApiError,
    query::Query,
    services::deliveries,
    state::AppState,
};

/// The most deliveries one page holds.
const MAX_PAGE_SIZE: u64 = 200;
const DEFAULT_PAGE_SIZE: u64 = 50;

/// Which deliveries, and which page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryListParams {
    /// Only deliveries in this state.
    #[param(value_type = Option<DeliveryState>)]
    state: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1 to 200. Default 50.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// Which page of a log: the `next_cursor` of the previous one, and how many items.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200. Default 50.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// The cursor (an id: these logs page by id) and page size of a request, noting in `errors`
/// what is wrong with them.
pub fn page_of(
    cursor: Option<&str>,
    limit: Option<&str>,
    errors: &mut FieldErrors,
) -> (Option<Uuid>, u64) {
    let cursor = cursor.and_then(|c| {
        c.parse::<Uuid>()
            .map_err(|_| errors.add("cursor", "not a cursor returned by this API"))
            .ok()
    });
    let limit = match limit.map(str::parse::<u64>).transpose() {
        Ok(None) => DEFAULT_PAGE_SIZE,
        Ok(Some(limit)) if (1..=MAX_PAGE_SIZE).contains(&limit) => limit,
        _ => {
            errors.add(
                "limit",
                format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
            );
            DEFAULT_PAGE_SIZE
        }
    };
    (cursor, limit)
}

/// The location's deliveries, newest first: the rendered message, its channel and recipient,
/// its state (`scheduled`, `sending`, `sent`, `failed`, `cancelled`) and attempts. With no SMTP
/// server configured this is the built-in outbox, where every message the app sent is kept.
#[utoipa::path(
    tag = "deliveries",
    params(DeliveryListParams),
    responses(
        (status = 200, description = "One page of deliveries.", body = Page<Delivery>),
        (status = 400, description = "An invalid state, cursor or limit."),
    )
)]
#[get("/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    Query(params): Query<DeliveryListParams>,
) -> Result<web::Json<Page<Delivery>>, ApiError> {
    let mut errors = FieldErrors::default();
    let filter = params.state.as_deref().and_then(|s| {
        s.parse::<DeliveryState>()
            .map_err(|e| errors.add("state", e))
            .ok()
    });
    let (cursor, limit) = page_of(
        params.cursor.as_deref(),
        params.limit.as_deref(),
        &mut errors,
    );
    errors
        .finish(())
        .map_err(|errors| ApiError::invalid("One or more query parameters are invalid.", errors))?;
    let page = db::deliveries::page(&state.db, caller.location().id, filter, cursor, limit)
        .await
        .map_err(db::StoreError::from)?;
    Ok(web::Json(page))
}

/// Try a `failed` delivery again: it is scheduled to leave at once, with a fresh count of
/// attempts. The action's history records who did (`delivery_retried`).
#[utoipa::path(
    tag = "deliveries",
    params(("id" = Uuid, Path, description = "The delivery's id.")),
    responses(
        (status = 200, description = "Scheduled again.", body = Delivery),
        (status = 400, description = "The id is not a UUID."),
        (status = 404, description = "No such delivery in this location."),
        (status = 409, description = "The delivery has not failed."),
    )
)]
#[post("/deliveries/{id}/retry")]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    caller: Authorized<Review>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Delivery>, ApiError> {
    let delivery = deliveries::retry(&caller.context(&state), id.into_inner()).await?;
    Ok(web::Json(delivery))
}
