//! The list's query parameters, checked one by one so every invalid parameter is named.

use std::{fmt::Display, str::FromStr};

use chrono::{DateTime, Days, NaiveDate, Utc};
use inbox_domain::{
    problem::FieldErrors, sort::Sort, ActionStatus, ActionType, Channel, Confidence, Priority,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    clock::to_storage_precision,
    db::actions::list::{Cursor, ListFilter, ListQuery, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
    error::ApiError,
};

/// Filters, order and page of the action list. Values arrive as text and are checked one by
/// one, so every invalid parameter is named in the error.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActionListParams {
    /// One or more statuses (segments); repeat the parameter for several. Default `pending`.
    #[param(value_type = Option<Vec<ActionStatus>>, example = json!(["pending"]))]
    #[serde(default)]
    status: Vec<String>,
    /// Only actions of this agent (criteria type).
    #[param(value_type = Option<Uuid>)]
    agent_id: Option<String>,
    /// Customer name or company: a substring, any case, any accents (`zoe` finds "Zoë").
    #[param(example = "acme")]
    q: Option<String>,
    /// Lowest confidence, 0–100.
    #[param(value_type = Option<u8>, minimum = 0, maximum = 100, example = 80)]
    confidence_min: Option<String>,
    /// Highest confidence, 0–100.
    #[param(value_type = Option<u8>, minimum = 0, maximum = 100)]
    confidence_max: Option<String>,
    /// One or more priorities; repeat for several.
    #[param(value_type = Option<Vec<Priority>>, example = json!(["high", "critical"]))]
    #[serde(default)]
    priority: Vec<String>,
    /// One or more channels; repeat for several.
    #[param(value_type = Option<Vec<Channel>>)]
    #[serde(default)]
    channel: Vec<String>,
    /// One or more action types; repeat for several.
    #[param(value_type = Option<Vec<ActionType>>)]
    #[serde(default)]
    action_type: Vec<String>,
    /// Only approved or auto-executed actions whose message is in one of these delivery states
    /// (`scheduled`, `sending`, `sent`, `failed`); repeat for several.
    #[param(value_type = Option<Vec<inbox_domain::delivery::DeliveryState>>, example = json!(["failed"]))]
    #[serde(default)]
    delivery_state: Vec<String>,
    /// Created at or after: an RFC 3339 time, or a date (from its start, UTC).
    #[param(example = "2026-11-20")]
    created_from: Option<String>,
    /// Created before: an RFC 3339 time, or a date (through its end, UTC).
    created_to: Option<String>,
    /// Expires at or after: an RFC 3339 time or a date.
    expires_from: Option<String>,
    /// Expires before: an RFC 3339 time, or a date (through its end).
    expires_to: Option<String>,
    /// A list column, `-` first for descending: `subject`, `customer`, `agent`, `action_type`,
    /// `channel`, `confidence`, `priority`, `status`, `created_at`, `expires_at`. Default
    /// `-created_at`.
    #[param(example = "-created_at")]
    sort: Option<String>,
    /// Items per page, 1 to 200; default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, example = 50)]
    limit: Option<String>,
    /// `next_cursor` of the previous page, made with the same `sort`.
    cursor: Option<String>,
    /// `exact` counts every match for `total`; by default a filtered list stops counting at the
    /// server's cap and says so (`total_exact: false`). A segment alone is always exact.
    #[param(value_type = Option<CountMode>, inline)]
    count: Option<String>,
}

/// How a list counts its `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CountMode {
    /// Every match.
    Exact,
    /// Up to the server's cap.
    Capped,
}

impl FromStr for CountMode {
    type Err = &'static str;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "exact" => Ok(CountMode::Exact),
            "capped" => Ok(CountMode::Capped),
            _ => Err("expected `exact` or `capped`"),
        }
    }
}

/// Collects every invalid parameter while converting them.
#[derive(Default)]
struct Checked(FieldErrors);

impl Checked {
    fn one<T: FromStr>(&mut self, field: &str, value: Option<&str>) -> Option<T>
    where
        T::Err: Display,
    {
        match value.map(str::parse::<T>).transpose() {
            Ok(parsed) => parsed,
            Err(error) => {
                self.0.add(field, error);
                None
            }
        }
    }

    fn many<T: FromStr + PartialEq>(&mut self, field: &str, values: &[String]) -> Vec<T>
    where
        T::Err: Display,
    {
        let mut parsed = Vec::new();
        for value in values {
            if let Some(value) = self.one::<T>(field, Some(value)) {
                if !parsed.contains(&value) {
                    parsed.push(value);
                }
            }
        }
        parsed
    }

    fn confidence(&mut self, field: &str, value: Option<&str>) -> Option<u8> {
        let parsed = self.one::<i64>(field, value)?;
        match Confidence::try_from(parsed) {
            Ok(confidence) => Some(confidence.percent()),
            Err(error) => {
                self.0.add(field, error);
                None
            }
        }
    }

    /// A time bound: an RFC 3339 time, or a whole UTC date (an upper bound takes the day in).
    fn bound(&mut self, field: &str, value: Option<&str>, upper: bool) -> Option<DateTime<Utc>> {
        let value = value?;
        if let Ok(at) = DateTime::parse_from_rfc3339(value) {
            return Some(to_storage_precision(at.to_utc()));
        }
        let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .and_then(|day| {
                if upper {
                    day.checked_add_days(Days::new(1))
                } else {
                    Some(day)
                }
            });
        match day {
            Some(day) => Some(day.and_time(chrono::NaiveTime::MIN).and_utc()),
            None => {
                self.0
                    .add(field, "expected an RFC 3339 time or a YYYY-MM-DD date");
                None
            }
        }
    }
}

impl TryFrom<ActionListParams> for ListQuery {
    type Error = ApiError;

    fn try_from(params: ActionListParams) -> Result<Self, ApiError> {
        let mut check = Checked::default();
        let mut statuses = check.many::<ActionStatus>("status", &params.status);
        if statuses.is_empty() && params.status.is_empty() {
            statuses.push(ActionStatus::Pending);
        }
        let customer_search = params
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        let filter = ListFilter {
            statuses,
            agent_id: check.one("agent_id", params.agent_id.as_deref()),
            customer_search,
            confidence_min: check.confidence("confidence_min", params.confidence_min.as_deref()),
            confidence_max: check.confidence("confidence_max", params.confidence_max.as_deref()),
            priorities: check.many("priority", &params.priority),
            channels: check.many("channel", &params.channel),
            action_types: check.many("action_type", &params.action_type),
            delivery_states: check.many("delivery_state", &params.delivery_state),
            created_from: check.bound("created_from", params.created_from.as_deref(), false),
            created_to: check.bound("created_to", params.created_to.as_deref(), true),
            expires_from: check.bound("expires_from", params.expires_from.as_deref(), false),
            expires_to: check.bound("expires_to", params.expires_to.as_deref(), true),
        };
        // A range whose lower bound is above its upper bound is not an error: it matches
        // nothing (the OpenAPI document cannot say that one parameter bounds another).
        let sort = check
            .one::<Sort>("sort", params.sort.as_deref())
            .unwrap_or_default();
        let count = check.one::<CountMode>("count", params.count.as_deref());
        let limit = match params.limit.as_deref().map(str::parse::<u64>).transpose() {
            Ok(Some(limit)) if (1..=MAX_PAGE_SIZE).contains(&limit) => limit,
            Ok(None) => DEFAULT_PAGE_SIZE,
            _ => {
                check.0.add(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                );
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
                check.0.add("cursor", error);
                None
            }
        };
        check
            .0
            .finish(ListQuery {
                filter,
                sort,
                limit,
                after,
                exact_count: count == Some(CountMode::Exact),
            })
            .map_err(|errors| {
                ApiError::invalid("One or more query parameters are invalid.", errors)
            })
    }
}
