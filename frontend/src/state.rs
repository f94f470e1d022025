//! What the inbox shows, as it lives in the URL: the segment, the filters, the sort and the open
//! action. A link or the back button restores the same view.

use chrono::{DateTime, Duration, SecondsFormat, Timelike, Utc};
use inbox_domain::{
    delivery::DeliveryState,
    notices::EXPIRING_SOON_HOURS,
    sort::{Sort, SortField},
    ActionStatus, Channel, Priority,
};
use uuid::Uuid;

/// The segments, in the order of their tabs.
pub const SEGMENTS: [ActionStatus; 6] = [
    ActionStatus::Pending,
    ActionStatus::Approved,
    ActionStatus::Rejected,
    ActionStatus::Snoozed,
    ActionStatus::Expired,
    ActionStatus::AutoExecuted,
];

/// The inbox view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboxView {
    pub segment: Option<ActionStatus>,
    pub agent_id: Option<String>,
    pub q: Option<String>,
    pub confidence_min: Option<u8>,
    pub confidence_max: Option<u8>,
    pub priority: Option<Priority>,
    pub channel: Option<Channel>,
    /// Where the message of an approved or auto-executed action stands; kept only while the
    /// segment is one of those (see [`delivery_filter_applies`]).
    pub delivery_state: Option<DeliveryState>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub expires_from: Option<String>,
    pub expires_to: Option<String>,
    /// The list's order (`sort=-created_at`); the server's default when absent.
    pub sort: Option<Sort>,
    /// The open action.
    pub open: Option<Uuid>,
}

/// Whether a segment's actions have deliveries to filter by: only approved and auto-executed
/// ones do, so the delivery filter is dropped elsewhere rather than emptying the list (and the
/// other segments' counts) for a reason the reviewer cannot see.
pub fn delivery_filter_applies(segment: ActionStatus) -> bool {
    segment.is_sent()
}

fn encode(value: &str) -> String {
    js_escape(value)
}

/// Percent-encodes a query value (what `encodeURIComponent` does).
fn js_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl InboxView {
    /// Reads the view from query parameters (unknown or broken values are ignored).
    pub fn from_pairs<'a>(get: impl Fn(&str) -> Option<&'a str>) -> InboxView {
        let text = |key: &str| {
            get(key)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let segment: Option<ActionStatus> = get("status").and_then(|v| v.parse().ok());
        InboxView {
            segment,
            agent_id: text("agent_id"),
            q: text("q"),
            confidence_min: get("confidence_min")
                .and_then(|v| v.parse().ok())
                .filter(|v| *v <= 100),
            confidence_max: get("confidence_max")
                .and_then(|v| v.parse().ok())
                .filter(|v| *v <= 100),
            priority: get("priority").and_then(|v| v.parse().ok()),
            channel: get("channel").and_then(|v| v.parse().ok()),
            delivery_state: get("delivery_state")
                .and_then(|v| v.parse().ok())
                .filter(|_| delivery_filter_applies(segment.unwrap_or(ActionStatus::Pending))),
            created_from: text("created_from"),
            created_to: text("created_to"),
            expires_from: text("expires_from"),
            expires_to: text("expires_to"),
            sort: get("sort").and_then(|v| v.trim().parse().ok()),
            open: get("open").and_then(|v| v.trim().parse().ok()),
        }
    }

    /// The pending actions that expire within [`EXPIRING_SOON_HOURS`] of `now`, the soonest
    /// first: where the metrics bar's "Expiring soon" leads.
    pub fn expiring_soon(now: DateTime<Utc>) -> InboxView {
        let until = now + Duration::hours(EXPIRING_SOON_HOURS);
        InboxView {
            expires_to: Some(until.to_rfc3339_opts(SecondsFormat::Secs, true)),
            sort: Some(Sort {
                field: SortField::ExpiresAt,
                descending: false,
            }),
            ..InboxView::default()
        }
    }

    /// The segment shown: pending unless another is chosen.
    pub fn segment(&self) -> ActionStatus {
        self.segment.unwrap_or(ActionStatus::Pending)
    }

    /// The filters as query pairs, for the list of `segment`.
    fn filter_pairs(&self, segment: ActionStatus) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        let mut push = |key: &'static str, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((key, value));
            }
        };
        push("agent_id", self.agent_id.clone());
        push("q", self.q.clone());
        push("confidence_min", self.confidence_min.map(|v| v.to_string()));
        push("confidence_max", self.confidence_max.map(|v| v.to_string()));
        push("priority", self.priority.map(|p| p.as_str().to_owned()));
        push("channel", self.channel.map(|c| c.as_str().to_owned()));
        push(
            "delivery_state",
            self.delivery_state
                .filter(|_| delivery_filter_applies(segment))
                .map(|d| d.as_str().to_owned()),
        );
        push("created_from", self.created_from.clone());
        push("created_to", self.created_to.clone());
        push("expires_from", self.expires_from.clone());
        push("expires_to", self.expires_to.clone());
        pairs
    }

    /// Whether any filter narrows the list (the "No results found" state).
    pub fn is_filtered(&self) -> bool {
        !self.filter_pairs(self.segment()).is_empty()
    }

    /// The same view with no filters (segment, sort and open action kept).
    pub fn without_filters(&self) -> InboxView {
        InboxView {
            segment: self.segment,
            sort: self.sort,
            open: self.open,
            ..InboxView::default()
        }
    }

    /// The view's address, e.g. `/?status=rejected&q=acme&sort=-confidence`.
    pub fn to_url(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(segment) = self.segment.filter(|s| *s != ActionStatus::Pending) {
            pairs.push(("status", segment.as_str().to_owned()));
        }
        pairs.extend(self.filter_pairs(self.segment()));
        if let Some(sort) = self.sort {
            pairs.push(("sort", sort.to_string()));
        }
        if let Some(open) = self.open {
            pairs.push(("open", open.to_string()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        if query.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", query.join("&"))
        }
    }

    /// The query of the API's action list for a `segment` (the tabs count the other segments
    /// with it): filters, sort, page size and cursor.
    pub fn list_query(&self, segment: ActionStatus, limit: u32, cursor: Option<&str>) -> String {
        let mut pairs = vec![("status", segment.as_str().to_owned())];
        pairs.extend(self.filter_pairs(segment));
        if let Some(sort) = self.sort {
            pairs.push(("sort", sort.to_string()));
        }
        pairs.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_owned()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        query.join("&")
    }

    /// The order the list is in: the chosen one, or newest first.
    pub fn order(&self) -> Sort {
        self.sort.unwrap_or_default()
    }

    /// The view after clicking `field`'s header (see [`Sort::clicked`]).
    pub fn sorted_by(&self, field: SortField) -> InboxView {
        InboxView {
            sort: Some(self.order().clicked(field)),
            ..self.clone()
        }
    }

    /// How `field` is sorted now: `Some(true)` descending, `Some(false)` ascending.
    pub fn sort_direction(&self, field: SortField) -> Option<bool> {
        let order = self.order();
        (order.field == field).then_some(order.descending)
    }
}

/// What a date box shows for a date filter: the UTC day of a bound that is an instant (the
/// metrics bar's "Expiring soon" sets one; the server reads a bare date as a UTC day), the
/// value as given otherwise.
pub fn bound_day(bound: Option<&str>) -> String {
    match bound.map(DateTime::parse_from_rfc3339) {
        Some(Ok(at)) => at.to_utc().date_naive().to_string(),
        _ => bound.unwrap_or_default().to_owned(),
    }
}

/// The time of a bound that is an instant, which a date box cannot show ("16:30 UTC").
pub fn bound_time(bound: Option<&str>) -> Option<String> {
    let at = DateTime::parse_from_rfc3339(bound?).ok()?.to_utc();
    // Field by field, as `bound_day`: chrono's `format` would bring strftime's parser into the
    // code the app downloads on opening.
    Some(format!("{:02}:{:02} UTC", at.hour(), at.minute()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(url: &str) -> InboxView {
        let pairs: HashMap<String, String> = url
            .trim_start_matches("/?")
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.replace("%20", " ")))
            .collect();
        InboxView::from_pairs(|key| pairs.get(key).map(String::as_str))
    }

    fn sort(value: &str) -> Option<Sort> {
        Some(value.parse().expect("a sortable column"))
    }

    #[test]
    fn a_view_survives_its_url() {
        let open: Uuid = "0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57"
            .parse()
            .expect("a uuid");
        let view = InboxView {
            segment: Some(ActionStatus::Rejected),
            q: Some("acme corp".into()),
            confidence_min: Some(80),
            priority: Some(Priority::High),
            sort: sort("-confidence"),
            open: Some(open),
            ..InboxView::default()
        };
        let url = view.to_url();
        assert_eq!(url, "/?status=rejected&q=acme%20corp&confidence_min=80&priority=high&sort=-confidence&open=0193a5b2-7c1e-7d4a-9f3b-2a6c8e1d4f57");
        assert_eq!(parse(&url), view);
        assert_eq!(InboxView::default().to_url(), "/");
    }

    #[test]
    fn broken_parameters_are_ignored() {
        let view = parse(
            "/?status=archived&confidence_min=300&priority=urgent&sort=-colour&open=0193a5b2",
        );
        assert_eq!(view, InboxView::default());
        assert_eq!(view.segment(), ActionStatus::Pending);
    }

    #[test]
    fn clearing_filters_keeps_segment_and_sort() {
        let view = parse("/?status=approved&q=zoe&channel=email&sort=subject");
        assert!(view.is_filtered());
        let cleared = view.without_filters();
        assert!(!cleared.is_filtered());
        assert_eq!(cleared.to_url(), "/?status=approved&sort=subject");
    }

    #[test]
    fn clicking_a_header_sorts_then_flips() {
        let view = InboxView::default();
        assert_eq!(
            view.sort_direction(SortField::CreatedAt),
            Some(true),
            "newest first by default"
        );
        assert_eq!(view.sort_direction(SortField::Subject), None);
        let by_subject = view.sorted_by(SortField::Subject);
        assert_eq!(by_subject.sort, sort("subject"));
        assert_eq!(by_subject.sort_direction(SortField::Subject), Some(false));
        assert_eq!(
            by_subject.sorted_by(SortField::Subject).sort,
            sort("-subject")
        );
        assert_eq!(
            view.sorted_by(SortField::CreatedAt).sort,
            sort("created_at")
        );
        assert_eq!(
            view.sorted_by(SortField::Confidence).to_url(),
            "/?sort=-confidence"
        );
    }

    #[test]
    fn a_delivery_filter_survives_the_url_of_a_sent_segment() {
        let view = InboxView {
            segment: Some(ActionStatus::AutoExecuted),
            delivery_state: Some(DeliveryState::Failed),
            ..InboxView::default()
        };
        let url = view.to_url();
        assert_eq!(url, "/?status=auto_executed&delivery_state=failed");
        assert_eq!(parse(&url), view);
        assert!(view.is_filtered());
        assert!(!view.without_filters().is_filtered());
        assert_eq!(
            parse("/?status=approved&delivery_state=lost").delivery_state,
            None
        );
    }

    #[test]
    fn the_delivery_filter_is_dropped_where_no_action_has_a_delivery() {
        let pending = parse("/?delivery_state=failed");
        assert_eq!(
            pending,
            InboxView::default(),
            "pending actions have no delivery"
        );
        assert!(!pending.is_filtered());
        let approved = parse("/?status=approved&delivery_state=sent&q=zoe");
        let switched = InboxView {
            segment: Some(ActionStatus::Rejected),
            ..approved.clone()
        };
        assert_eq!(switched.to_url(), "/?status=rejected&q=zoe");
        assert_eq!(
            approved.list_query(ActionStatus::Pending, 1, None),
            "status=pending&q=zoe&limit=1",
            "the Pending tab counts without it"
        );
        assert_eq!(
            approved.list_query(ActionStatus::AutoExecuted, 1, None),
            "status=auto_executed&q=zoe&delivery_state=sent&limit=1"
        );
    }

    #[test]
    fn expiring_soon_lists_pending_actions_due_within_four_hours_soonest_first() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 12, 4, 12, 30, 15)
            .single()
            .expect("a time");
        let view = InboxView::expiring_soon(now);
        assert_eq!(
            view.to_url(),
            "/?expires_to=2026-12-04T16%3A30%3A15Z&sort=expires_at"
        );
        assert_eq!(view.segment(), ActionStatus::Pending);
        assert_eq!(
            view.list_query(ActionStatus::Pending, 50, None),
            "status=pending&expires_to=2026-12-04T16%3A30%3A15Z&sort=expires_at&limit=50"
        );
    }

    #[test]
    fn the_list_query_carries_filters_sort_and_cursor() {
        let view = parse("/?q=zoe&sort=priority");
        assert_eq!(
            view.list_query(ActionStatus::Snoozed, 50, Some("abc")),
            "status=snoozed&q=zoe&sort=priority&limit=50&cursor=abc"
        );
    }

    #[test]
    fn an_instant_bound_shows_its_utc_day_in_the_date_box_and_its_time_beside() {
        let until = Some("2026-12-04T23:30:15-05:00");
        assert_eq!(bound_day(until), "2026-12-05");
        assert_eq!(bound_time(until).as_deref(), Some("04:30 UTC"));
        assert_eq!(bound_day(Some("2026-12-04")), "2026-12-04");
        assert_eq!(bound_time(Some("2026-12-04")), None);
        assert_eq!(bound_day(None), "");
        assert_eq!(bound_time(None), None);
    }
}
