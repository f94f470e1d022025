//! Insights: how each agent performs over a period.

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};
use inbox_domain::{
    autonomy::AutonomyAdvice,
    insights::{DecisionRecord, Insights},
    problem::FieldErrors,
    ActionType,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::shared_read;
use crate::{
    auth::{Authorized, Read},
    db,
    error::ApiError,
    query::Query,
    services::{
        insights::{self, InsightsQuery},
        Context,
    },
    state::AppState,
};

/// Which period, and whose actions.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InsightsParams {
    /// The days ending today (in the location's time zone): 7, 30 or 90. Default 30.
    #[param(value_type = Option<u32>, example = 30)]
    period: Option<String>,
    /// Only this agent's actions.
    #[param(value_type = Option<Uuid>)]
    agent_id: Option<String>,
    /// Only actions of this type.
    #[param(value_type = Option<ActionType>)]
    action_type: Option<String>,
}

/// How the location's agents performed over 7, 30 or 90 days, day by day in its time zone:
/// proposals and decisions (approved as proposed or edited, rejected, snoozed, expired,
/// auto-executed, undone), approval rate, review times (mean and p90), rejection reasons, how
/// much approvals were edited, outcomes after sending, and each agent's part. Read from daily
/// tallies kept as actions change, never by counting the history.
#[utoipa::path(
    tag = "metrics",
    params(InsightsParams),
    responses(
        (status = 200, description = "The period's insights.", body = Insights),
        (status = 400, description = "A period other than 7, 30 or 90, or a malformed agent id or action type."),
    )
)]
#[get("/insights")]
pub async fn get_insights(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    request: HttpRequest,
    Query(params): Query<InsightsParams>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let period_days = match params.period.as_deref().map(str::parse::<u32>) {
        None => 30,
        Some(Ok(days)) if inbox_domain::insights::PERIODS.contains(&days) => days,
        Some(_) => {
            errors.add("period", "must be 7, 30 or 90 (days)");
            30
        }
    };
    let agent_id = params.agent_id.as_deref().and_then(|id| {
        id.parse::<Uuid>()
            .map_err(|_| errors.add("agent_id", "must be an agent's id (a UUID)"))
            .ok()
    });
    let action_type = params.action_type.as_deref().and_then(|kind| {
        kind.parse::<ActionType>()
            .map_err(|error| errors.add("action_type", error))
            .ok()
    });
    errors
        .finish(())
        .map_err(|errors| ApiError::invalid("One or more query parameters are invalid.", errors))?;
    let query = InsightsQuery {
        period_days,
        agent_id,
        action_type,
    };
    // Kept by the read cache while nothing in the location changes, as the list is.
    let caller = &caller;
    let state_ref = &state;
    shared_read(&state, caller.location().id, &request, |now| async move {
        let ctx = Context {
            now,
            ..caller.context(state_ref)
        };
        Ok::<_, ApiError>(insights::insights(&ctx, query).await?)
    })
    .await
}

/// Earned autonomy: for every agent and action type people decided in the last 30 days,
/// whether the agent has earned sending it without review and from which confidence — at least
/// 20 reviewed, 95% approved, few rewritten, no unsubscribes, and none rejected from that
/// confidence up — or what is missing.
#[utoipa::path(
    tag = "agents",
    responses((status = 200, description = "The advice, by agent name and action type.", body = Vec<AutonomyAdvice>))
)]
#[get("/insights/autonomy")]
pub async fn get_autonomy(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
) -> Result<web::Json<Vec<AutonomyAdvice>>, ApiError> {
    Ok(web::Json(
        insights::autonomy(&caller.context(&state)).await?,
    ))
}

/// How the export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportFormat {
    Csv,
    Ndjson,
}

/// The export's format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `csv` (the default, with a header row) or `ndjson` (one DecisionRecord per line).
    #[param(value_type = Option<String>, example = "csv")]
    format: Option<String>,
}

/// Decided actions read per step of the export.
const EXPORT_PAGE: u64 = 500;

/// `records` as the format writes them (after the header, for CSV's first page).
fn export_chunk(
    format: ExportFormat,
    records: &[DecisionRecord],
    header: bool,
) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Ndjson => {
            let mut out = Vec::new();
            for record in records {
                serde_json::to_writer(&mut out, record).map_err(|error| error.to_string())?;
                out.push(b'\n');
            }
            Ok(out)
        }
        ExportFormat::Csv => {
            let mut writer = csv::WriterBuilder::new()
                .has_headers(header)
                .from_writer(Vec::new());
            if header && records.is_empty() {
                writer
                    .write_record(DECISION_COLUMNS)
                    .map_err(|error| error.to_string())?;
            }
            for record in records {
                writer
                    .serialize(record)
                    .map_err(|error| error.to_string())?;
            }
            writer.into_inner().map_err(|error| error.to_string())
        }
    }
}

/// The CSV header, for an export with no rows (otherwise the first row's field names write it).
const DECISION_COLUMNS: [&str; 15] = [
    "action_id",
    "agent",
    "action_type",
    "channel",
    "confidence",
    "proposed_at",
    "decision",
    "decided_at",
    "rejection_reason",
    "note",
    "proposed_text",
    "final_text",
    "edit_distance",
    "edit_intensity",
    "outcomes",
];

/// Every decided action of the location (approved, rejected, auto-executed or expired), oldest
/// first, streamed as CSV or NDJSON: the draft as proposed and as sent, the decision, its reason
/// and note, the edit distance between the two texts and the outcomes reported after — to
/// evaluate or fine-tune the agents.
#[utoipa::path(
    tag = "metrics",
    params(ExportParams),
    responses(
        (status = 200, description = "The decisions, streamed.", content(
            (String = "text/csv"),
            (DecisionRecord = "application/x-ndjson"),
        )),
        (status = 400, description = "A format other than csv or ndjson."),
    )
)]
#[get("/decisions/export")]
pub async fn export_decisions(
    state: web::Data<AppState>,
    caller: Authorized<Read>,
    Query(params): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = match params.format.as_deref() {
        None | Some("csv") => ExportFormat::Csv,
        Some("ndjson") => ExportFormat::Ndjson,
        Some(_) => {
            return Err(ApiError::invalid_field("format", "must be csv or ndjson"));
        }
    };
    let (db, location_id) = (state.db.clone(), caller.location().id);
    // Each step reads a page after the last id written; `None` once the last page is out.
    let pages = futures_util::stream::unfold(Some((None, true)), move |step| {
        let db = db.clone();
        async move {
            let (after, first) = step?;
            let chunk =
                match db::insights::decisions_page(&db, location_id, after, EXPORT_PAGE).await {
                    Ok(records) => {
                        let next = (records.len() as u64 == EXPORT_PAGE)
                            .then(|| records.last().map(|record| (Some(record.action_id), false)))
                            .flatten();
                        export_chunk(format, &records, first)
                            .map(|bytes| (web::Bytes::from(bytes), next))
                    }
                    Err(error) => Err(format!("{error:?}")),
                };
            match chunk {
                Ok((bytes, next)) => Some((Ok::<_, actix_web::Error>(bytes), next)),
                Err(error) => {
                    // The status is sent already: the connection is cut, and the cause logged.
                    tracing::error!(%error, "the decisions export failed");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        None,
                    ))
                }
            }
        }
    });
    let (content_type, file) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "decisions.csv"),
        ExportFormat::Ndjson => ("application/x-ndjson", "decisions.ndjson"),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(pages))
}
