//! What the inbox shows, as it lives in the URL: the segment, the filters, the sort and the open
//! action. A link or the back button restores the same view.

use inbox_domain::{ActionStatus, Channel, Priority};

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
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub expires_from: Option<String>,
    pub expires_to: Option<String>,
    /// A list column, `-` first for descending.
    pub sort: Option<String>,
    /// The open action.
    pub open: Option<String>,
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
        InboxView {
            segment: get("status").and_then(|v| v.parse().ok()),
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
            created_from: text("created_from"),
            created_to: text("created_to"),
            expires_from: text("expires_from"),
            expires_to: text("expires_to"),
            sort: text("sort"),
            open: text("open"),
        }
    }

    /// The segment shown: pending unless another is chosen.
    pub fn segment(&self) -> ActionStatus {
        self.segment.unwrap_or(ActionStatus::Pending)
    }

    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
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
        push("created_from", self.created_from.clone());
        push("created_to", self.created_to.clone());
        push("expires_from", self.expires_from.clone());
        push("expires_to", self.expires_to.clone());
        pairs
    }

    /// Whether any filter narrows the list (the "No results found" state).
    pub fn is_filtered(&self) -> bool {
        !self.filter_pairs().is_empty()
    }

    /// The same view with no filters (segment, sort and open action kept).
    pub fn without_filters(&self) -> InboxView {
        InboxView {
            segment: self.segment,
            sort: self.sort.clone(),
            open: self.open.clone(),
            ..InboxView::default()
        }
    }

    /// The view's address, e.g. `/?status=rejected&q=acme&sort=-confidence`.
    pub fn to_url(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(segment) = self.segment.filter(|s| *s != ActionStatus::Pending) {
            pairs.push(("status", segment.as_str().to_owned()));
        }
        pairs.extend(self.filter_pairs());
        if let Some(sort) = &self.sort {
            pairs.push(("sort", sort.clone()));
        }
        if let Some(open) = &self.open {
            pairs.push(("open", open.clone()));
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

    /// The API list query for a `segment` (the tabs count the other segments with it).
    pub fn api_query(&self, segment: ActionStatus, limit: u32, cursor: Option<&str>) -> String {
        let mut pairs = vec![("status", segment.as_str().to_owned())];
        pairs.extend(self.filter_pairs());
        if let Some(sort) = &self.sort {
            pairs.push(("sort", sort.clone()));
        }
        pairs.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor.to_owned()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/api/v1/actions?{}", query.join("&"))
    }

    /// The sort after clicking `column`: newest-first style columns start descending, a second
    /// click flips the direction.
    pub fn sorted_by(&self, column: &str) -> InboxView {
        let current = self
            .sort
            .clone()
            .unwrap_or_else(|| "-created_at".to_owned());
        let next = if current == column {
            format!("-{column}")
        } else if current == format!("-{column}") {
            column.to_owned()
        } else if matches!(column, "created_at" | "confidence" | "priority") {
            format!("-{column}")
        } else {
            column.to_owned()
        };
        InboxView {
            sort: Some(next),
            ..self.clone()
        }
    }

    /// How `column` is sorted now: `Some(true)` descending, `Some(false)` ascending.
    pub fn sort_direction(&self, column: &str) -> Option<bool> {
        let current = self.sort.as_deref().unwrap_or("-created_at");
        match current.strip_prefix('-') {
            Some(name) if name == column => Some(true),
            None if current == column => Some(false),
            _ => None,
        }
    }
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

    #[test]
    fn a_view_survives_its_url() {
        let view = InboxView {
            segment: Some(ActionStatus::Rejected),
            q: Some("acme corp".into()),
            confidence_min: Some(80),
            priority: Some(Priority::High),
            sort: Some("-confidence".into()),
            open: Some("0193a5b2".into()),
            ..InboxView::default()
        };
        let url = view.to_url();
        assert_eq!(url, "/?status=rejected&q=acme%20corp&confidence_min=80&priority=high&sort=-confidence&open=0193a5b2");
        assert_eq!(parse(&url), view);
        assert_eq!(InboxView::default().to_url(), "/");
    }

    #[test]
    fn broken_parameters_are_ignored() {
        let view = parse("/?status=archived&confidence_min=300&priority=urgent");
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
            view.sort_direction("created_at"),
            Some(true),
            "newest first by default"
        );
        let by_subject = view.sorted_by("subject");
        assert_eq!(by_subject.sort.as_deref(), Some("subject"));
        assert_eq!(
            by_subject.sorted_by("subject").sort.as_deref(),
            Some("-subject")
        );
        assert_eq!(
            view.sorted_by("created_at").sort.as_deref(),
            Some("created_at")
        );
        assert_eq!(
            view.sorted_by("confidence").sort.as_deref(),
            Some("-confidence")
        );
    }

    #[test]
    fn the_api_query_carries_filters_sort_and_cursor() {
        let view = parse("/?q=zoe&sort=priority");
        assert_eq!(
            view.api_query(ActionStatus::Snoozed, 50, Some("abc")),
            "/api/v1/actions?status=snoozed&q=zoe&sort=priority&limit=50&cursor=abc"
        );
    }
}
