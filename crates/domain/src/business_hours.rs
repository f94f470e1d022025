//! A location's opening hours, in its local time. A call approved while the location is closed
//! waits (as `deferred`) until it opens.

use chrono::{Datelike, Duration, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// Opening hours per weekday, stored as `{"mon": ["09:00", "18:00"], ..., "sun": null}`.
/// No hours at all (`{}`) means no restriction; a day left out or `null` is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Value", into = "serde_json::Value")]
pub struct BusinessHours {
    /// Monday first; `None` is closed. All `None` with `restricted == false` is "always open".
    days: [Option<(NaiveTime, NaiveTime)>; 7],
    restricted: bool,
}

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Hours that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid business hours for `{day}`: {reason}")]
pub struct BusinessHoursError {
    pub day: String,
    pub reason: String,
}

impl TryFrom<serde_json::Value> for BusinessHours {
    type Error = BusinessHoursError;

    fn try_from(value: serde_json::Value) -> Result<Self, Self::Error> {
        let error = |day: &str, reason: &str| BusinessHoursError {
            day: day.to_owned(),
            reason: reason.to_owned(),
        };
        let map = match value {
            serde_json::Value::Null => return Ok(BusinessHours::default()),
            serde_json::Value::Object(map) => map,
            _ => return Err(error("*", "expected an object of weekdays")),
        };
        if let Some(unknown) = map.keys().find(|key| !DAY_KEYS.contains(&key.as_str())) {
            return Err(error(unknown, "not a weekday (mon … sun)"));
        }
        let mut days = [None; 7];
        for (index, key) in DAY_KEYS.iter().enumerate() {
            let Some(hours) = map.get(*key).filter(|hours| !hours.is_null()) else {
                continue;
            };
            let times: Vec<NaiveTime> = hours
                .as_array()
                .filter(|pair| pair.len() == 2)
                .map(|pair| {
                    pair.iter()
                        .filter_map(|t| {
                            t.as_str()
                                .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
                        })
                        .collect()
                })
                .unwrap_or_default();
            match times.as_slice() {
                [open, close] if open < close => days[index] = Some((*open, *close)),
                _ => {
                    return Err(error(
                        key,
                        "expected [\"HH:MM\", \"HH:MM\"], opening before closing",
                    ))
                }
            }
        }
        Ok(BusinessHours {
            days,
            restricted: !map.is_empty(),
        })
    }
}

impl From<BusinessHours> for serde_json::Value {
    fn from(hours: BusinessHours) -> Self {
        if !hours.restricted {
            return serde_json::json!({});
        }
        DAY_KEYS
            .iter()
            .zip(hours.days)
            .map(|(key, day)| {
                let value = day.map_or(serde_json::Value::Null, |(open, close)| {
                    serde_json::json!([
                        open.format("%H:%M").to_string(),
                        close.format("%H:%M").to_string()
                    ])
                });
                ((*key).to_owned(), value)
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

impl BusinessHours {
    fn hours_on(&self, weekday: Weekday) -> Option<(NaiveTime, NaiveTime)> {
        self.days[weekday.num_days_from_monday() as usize]
    }

    /// Whether the location is open at this local time.
    pub fn is_open(&self, local: NaiveDateTime) -> bool {
        !self.restricted
            || self
                .hours_on(local.weekday())
                .is_some_and(|(open, close)| open <= local.time() && local.time() < close)
    }

    /// When the location next opens, in local time: `None` when it is open now, or when it is
    /// never open.
    pub fn next_opening(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        if self.is_open(local) {
            return None;
        }
        (0..=7).find_map(|days_ahead| {
            let date = local.date() + Duration::days(days_ahead);
            let (open, _) = self.hours_on(date.weekday())?;
            let opening = date.and_time(open);
            (opening > local).then_some(opening)
        })
    }
}

impl BusinessHours {
    /// The next business morning after `local`: when the location first opens on a later day.
    /// Without opening hours (open all the time), 09:00 the next day.
    pub fn next_morning(&self, local: NaiveDateTime) -> NaiveDateTime {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN);
        let tomorrow = local.date() + Duration::days(1);
        if !self.restricted {
            return tomorrow.and_time(nine);
        }
        (0..7)
            .map(|days_ahead| tomorrow + Duration::days(days_ahead))
            .find_map(|date| {
                self.hours_on(date.weekday())
                    .map(|(open, _)| date.and_time(open))
            })
            .unwrap_or_else(|| tomorrow.and_time(nine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn weekdays() -> BusinessHours {
        serde_json::from_value(serde_json::json!({
            "mon": ["09:00", "18:00"], "tue": ["09:00", "18:00"], "wed": ["09:00", "18:00"],
            "thu": ["09:00", "18:00"], "fri": ["09:00", "17:00"], "sat": ["10:00", "14:00"], "sun": null
        }))
        .expect("valid hours")
    }

    fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        // 2026-11-23 is a Monday.
        NaiveDate::from_ymd_opt(2026, 11, day)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .expect("valid time")
    }

    #[test]
    fn the_next_business_morning_is_the_first_opening_on_a_later_day() {
        let at =
            |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a time");
        let hours = weekdays();
        // Thursday 2026-11-26: Friday opens at 09:00.
        assert_eq!(
            hours.next_morning(at("2026-11-26 08:00")),
            at("2026-11-27 09:00")
        );
        // Friday evening: Saturday opens at 10:00. Saturday: Sunday is closed, Monday 09:00.
        assert_eq!(
            hours.next_morning(at("2026-11-27 20:00")),
            at("2026-11-28 10:00")
        );
        assert_eq!(
            hours.next_morning(at("2026-11-28 12:00")),
            at("2026-11-30 09:00")
        );
        // Open all the time: 09:00 the next day.
        assert_eq!(
            BusinessHours::default().next_morning(at("2026-11-26 23:30")),
            at("2026-11-27 09:00")
        );
    }

    #[test]
    fn open_hours_include_the_opening_minute_and_exclude_the_closing_one() {
        let hours = weekdays();
        assert!(hours.is_open(at(23, 9, 0)));
        assert!(!hours.is_open(at(23, 18, 0)));
        assert!(!hours.is_open(at(29, 12, 0)), "closed on Sunday");
    }

    #[test]
    fn a_closed_time_waits_for_the_next_opening() {
        let hours = weekdays();
        assert_eq!(hours.next_opening(at(23, 12, 0)), None, "open now");
        assert_eq!(
            hours.next_opening(at(23, 7, 30)),
            Some(at(23, 9, 0)),
            "later today"
        );
        assert_eq!(
            hours.next_opening(at(27, 17, 30)),
            Some(at(28, 10, 0)),
            "Friday evening to Saturday"
        );
        assert_eq!(
            hours.next_opening(at(28, 15, 0)),
            Some(at(30, 9, 0)),
            "Saturday afternoon to Monday"
        );
    }

    #[test]
    fn no_hours_means_always_open_and_no_open_day_means_never() {
        let always = BusinessHours::default();
        assert!(always.is_open(at(29, 3, 0)));
        let never: BusinessHours =
            serde_json::from_value(serde_json::json!({"sun": null})).expect("valid");
        assert!(!never.is_open(at(23, 12, 0)));
        assert_eq!(never.next_opening(at(23, 12, 0)), None);
    }

    #[test]
    fn unreadable_hours_are_refused() {
        for bad in [
            serde_json::json!({"monday": ["09:00", "18:00"]}),
            serde_json::json!({"mon": ["18:00", "09:00"]}),
            serde_json::json!({"mon": ["9am", "6pm"]}),
            serde_json::json!([1, 2]),
        ] {
            assert!(
                serde_json::from_value::<BusinessHours>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn hours_round_trip_through_json() {
        let hours = weekdays();
        let json = serde_json::to_value(hours.clone()).expect("serialises");
        assert_eq!(
            serde_json::from_value::<BusinessHours>(json).expect("parses"),
            hours
        );
    }

    proptest! {
        #[test]
        fn the_next_opening_is_open_later_and_nothing_before_it_is(minutes in 0i64..(14 * 24 * 60)) {
            let hours = weekdays();
            let local = at(23, 0, 0) + Duration::minutes(minutes);
            match hours.next_opening(local) {
                None => prop_assert!(hours.is_open(local)),
                Some(opening) => {
                    prop_assert!(opening > local);
                    prop_assert!(hours.is_open(opening));
                    prop_assert!(!hours.is_open(opening - Duration::minutes(1)));
                    let mut probe = local;
                    while probe < opening {
                        prop_assert!(!hours.is_open(probe), "open at {probe} before {opening}");
                        probe += Duration::minutes(15);
                    }
                }
            }
        }
    }
}
