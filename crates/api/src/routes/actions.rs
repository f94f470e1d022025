use actix_web::{get, web, web::Json};
use inbox_domain::{
    dto::{ActionDetail, ActionListItem, Page},
    ActionStatus,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{
    error::{ApiError, FieldError, Problem},
    location::CallerLocation,
    query::Query,
    startup::AppState,
    store::{
        self,
        actions::{Cursor, ListFilter, ListQuery, Sort, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
    },
};

/// Filters, order and page of the action list. Values arrive as text and are checked one by
/// one, so every invalid parameter is named in the error.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionListParams {
    /// One or more statuses (segments); repeat the parameter for several. Default `pending`.
    #[param(value_type = Option<Vec<ActionStatus>>, example = json!(["pending"]))]
    #[serde(default)]
    status: Vec<String>,
    /// A list column, `-` first for descending: `created_at`, `expires_at`, `confidence`.
    #[param(example = "-created_at")]
    sort: Option<String>,
    /// Items per page, 1 to 200.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, example = 50)]
    limit: Option<String>,
    /// `next_cursor` of the previous page, made with the same `sort`.
    cursor: Option<String>,
}

impl TryFrom<ActionListParams> for ListQuery {
    type Error = ApiError;

    fn try_from(params: ActionListParams) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut statuses = Vec::new();
        for value in &params.status {
            match value.parse::<ActionStatus>() {
                Ok(status) if !statuses.contains(&status) => statuses.push(status),
                Ok(_) => {}
                Err(error) => errors.push(FieldError::new("status", error)),
            }
        }
        if statuses.is_empty() {
            statuses.push(ActionStatus::Pending);
        }
        let sort = match params.sort.as_deref().map(str::parse::<Sort>).transpose() {
            Ok(sort) => sort.unwrap_or_default(),
            Err(error) => {
                errors.push(FieldError::new("sort", error));
                Sort::default()
            }
        };
        let limit = match params.limit.as_deref().map(str::parse::<u64>).transpose() {
            Ok(Some(limit)) if (1..=MAX_PAGE_SIZE).contains(&limit) => limit,
            Ok(None) => DEFAULT_PAGE_SIZE,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                ));
                DEFAULT_PAGE_SIZE
            }
        };
        let after = match params
            .cursor
            .as_deref()
            .map(|token| Cursor::decode(token, sort))
            .transpose()
        {
            Ok(after) => after,
            Err(error) => {
                errors.push(FieldError::new("cursor", error));
                None
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::invalid(
                "One or more query parameters are invalid.",
                errors,
            ));
        }
        Ok(ListQuery {
            filter: ListFilter { statuses },
            sort,
            limit,
            after,
        })
    }
}

/// List actions: filtered by segment, sorted (newest first by default), one page at a time.
#[utoipa::path(
    tag = "actions",
    params(ActionListParams),
    responses(
        (status = 200, description = "One page of matching actions.", body = Page<ActionListItem>),
        (status = 400, description = "An invalid status, sort, limit or cursor.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The location does not exist.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/actions")]
pub async fn list_actions(
    state: web::Data<AppState>,
    location: CallerLocation,
    Query(params): Query<ActionListParams>,
) -> Result<Json<Page<ActionListItem>>, ApiError> {
    let query = ListQuery::try_from(params)?;
    let page = store::actions::list(&state.db, &location.0, &query, state.clock.now()).await?;
    Ok(Json(page))
}

/// One action in full: draft, customer, agent, trigger, confidence factors, history and the
/// customer's context.
#[utoipa::path(
    tag = "actions",
    params(("id" = Uuid, Path, description = "The action's id.", example = "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57")),
    responses(
        (status = 200, description = "The action.", body = ActionDetail),
        (status = 400, description = "The id is not a UUID.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action in this location.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/actions/{id}")]
pub async fn get_action(
    state: web::Data<AppState>,
    location: CallerLocation,
    id: web::Path<Uuid>,
) -> Result<Json<ActionDetail>, ApiError> {
    let detail =
        store::actions::get(&state.db, &location.0, id.into_inner(), state.clock.now()).await?;
    Ok(Json(detail))
}
