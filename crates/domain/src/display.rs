//! How the product document writes values on screen: "2 hours ago", "3 days remaining",
//! "John Smith • Acme Corp • Member", "87%". Pure, so the client's labels are tested natively.

use chrono::{DateTime, Duration, Utc};

use crate::dto::CustomerSummary;

fn amount(count: i64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

/// The largest whole unit of a positive span: "45 seconds", "2 hours", "3 days".
fn span(duration: Duration) -> String {
    if duration < Duration::minutes(1) {
        amount(duration.num_seconds().max(0), "second")
    } else if duration < Duration::hours(1) {
        amount(duration.num_minutes(), "minute")
    } else if duration < Duration::days(1) {
        amount(duration.num_hours(), "hour")
    } else {
        amount(duration.num_days(), "day")
    }
}

/// When something happened, relative to `now`: "just now", "2 hours ago".
pub fn time_ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let elapsed = now - at;
    if elapsed < Duration::minutes(1) {
        "just now".to_owned()
    } else {
        format!("{} ago", span(elapsed))
    }
}

/// How long until an expiry: "3 days remaining", or "Expired" once it has passed.
pub fn time_remaining(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = until - now;
    if left <= Duration::zero() {
        "Expired".to_owned()
    } else {
        format!("{} remaining", span(left))
    }
}

/// A span of seconds as the metrics bar shows it: "45s", "12m", "1h 30m", "2d 4h".
pub fn short_duration(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as i64;
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// A fraction from 0 to 1 as a whole percentage: "87%".
pub fn percent(fraction: f64) -> String {
    format!("{}%", (fraction * 100.0).round() as i64)
}

/// "John Smith • Acme Corp • Member" (the company is left out when there is none).
pub fn customer_line(customer: &CustomerSummary) -> String {
    let mut parts = vec![customer.full_name.as_str()];
    if let Some(company) = customer.company.as_deref().filter(|c| !c.is_empty()) {
        parts.push(company);
    }
    parts.push(customer.customer_type.label());
    parts.join(" • ")
}

/// At most `max` characters, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CustomerType;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(seconds)
    }

    #[test]
    fn times_read_like_the_product_document() {
        assert_eq!(time_ago(at(0), at(2 * 3600 + 5)), "2 hours ago");
        assert_eq!(time_ago(at(0), at(30)), "just now");
        assert_eq!(time_ago(at(0), at(60)), "1 minute ago");
        assert_eq!(
            time_remaining(at(3 * 86_400 + 100), at(0)),
            "3 days remaining"
        );
        assert_eq!(time_remaining(at(3600), at(0)), "1 hour remaining");
        assert_eq!(time_remaining(at(0), at(1)), "Expired");
    }

    #[test]
    fn durations_and_percentages_are_short() {
        assert_eq!(short_duration(45.4), "45s");
        assert_eq!(short_duration(720.0), "12m");
        assert_eq!(short_duration(5400.0), "1h 30m");
        assert_eq!(short_duration(2.0 * 86_400.0 + 4.0 * 3600.0), "2d 4h");
        assert_eq!(percent(0.874), "87%");
    }

    #[test]
    fn customers_read_name_company_type() {
        let mut customer = CustomerSummary {
            id: Uuid::nil(),
            full_name: "John Smith".into(),
            company: Some("Acme Corp".into()),
            customer_type: CustomerType::Member,
        };
        assert_eq!(customer_line(&customer), "John Smith • Acme Corp • Member");
        customer.company = None;
        customer.customer_type = CustomerType::Lead;
        assert_eq!(customer_line(&customer), "John Smith • Lead");
    }

    #[test]
    fn long_subjects_are_cut_with_an_ellipsis() {
        assert_eq!(
            truncate("Payment reminder: Invoice #1234 is overdue", 32),
            "Payment reminder: Invoice #1234…"
        );
        assert_eq!(truncate("Short", 32), "Short");
    }

    proptest! {
        #[test]
        fn truncation_never_exceeds_the_limit(text in "\\PC{0,80}", max in 1usize..40) {
            prop_assert!(truncate(&text, max).chars().count() <= max);
        }
    }
}
