//! The vocabulary of a proposed action: the enums of the product document and the validated
//! confidence score. Every enum travels as a `snake_case` string.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Declares a `snake_case` wire enum with its string form, the list of its values and its
/// human label as the product document writes it.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => ($wire:literal, $label:literal) ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "Text"))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* #[cfg_attr(feature = "sea-orm", sea_orm(string_value = $wire))] $variant ),+
        }

        impl $name {
            /// Every value, in the order the product document lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as it travels on the wire and is stored.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The label the product document uses for this value.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::action::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(crate::action::UnknownValue {
                        kind: stringify!($name),
                        value: s.to_owned(),
                        expected: &[$($wire),+],
                    }),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

/// A string that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}; expected one of: {}", expected.join(", "))]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

wire_enum! {
    /// The kind of action an agent proposes.
    pub enum ActionType {
        DraftMessage => ("draft_message", "Draft Message"),
        VoiceOutreach => ("voice_outreach", "Voice Outreach"),
        InternalNote => ("internal_note", "Internal Note"),
        TaskReminder => ("task_reminder", "Task Reminder"),
    }
}

wire_enum! {
    /// How an action reaches the customer. Notes and tasks have none.
    pub enum Channel {
        Email => ("email", "Email"),
        Voice => ("voice", "Voice"),
    }
}

impl ActionType {
    /// The channel this type goes out on: email drafts, voice calls, and nothing for notes and
    /// tasks, which stay inside the business.
    pub const fn channel(self) -> Option<Channel> {
        match self {
            ActionType::DraftMessage => Some(Channel::Email),
            ActionType::VoiceOutreach => Some(Channel::Voice),
            ActionType::InternalNote | ActionType::TaskReminder => None,
        }
    }
}

wire_enum! {
    /// Urgency, from least to most urgent: the derived `Ord` follows this order.
    pub enum Priority {
        Low => ("low", "Low"),
        Medium => ("medium", "Medium"),
        High => ("high", "High"),
        Critical => ("critical", "Critical"),
    }
}

wire_enum! {
    /// The relationship of a customer to the business.
    pub enum CustomerType {
        Member => ("member", "Member"),
        Contact => ("contact", "Contact"),
        Lead => ("lead", "Lead"),
    }
}

wire_enum! {
    /// Why a reviewer rejected an action; it trains the agents.
    pub enum RejectionReason {
        AlreadyResolved => ("already_resolved", "Already resolved"),
        PoorTiming => ("poor_timing", "Poor timing"),
        IncorrectInformation => ("incorrect_information", "Incorrect information"),
        NotAppropriate => ("not_appropriate", "Not appropriate"),
        PreferManualHandling => ("prefer_manual_handling", "Prefer manual handling"),
        /// Needs a note saying why.
        Other => ("other", "Other (custom note)"),
    }
}

wire_enum! {
    /// The tone of a voice call's script.
    pub enum Tone {
        Friendly => ("friendly", "Friendly"),
        Professional => ("professional", "Professional"),
        Urgent => ("urgent", "Urgent"),
    }
}

wire_enum! {
    /// The preset snooze lengths the product document offers (a custom time is also possible).
    pub enum SnoozeDuration {
        #[serde(rename = "1h")]
        OneHour => ("1h", "1 hour"),
        #[serde(rename = "4h")]
        FourHours => ("4h", "4 hours"),
        #[serde(rename = "1d")]
        OneDay => ("1d", "1 day"),
        #[serde(rename = "3d")]
        ThreeDays => ("3d", "3 days"),
        /// The next day the location opens, at its opening time (in its time zone).
        #[serde(rename = "next_business_morning")]
        NextBusinessMorning => ("next_business_morning", "Next business morning"),
    }
}

impl SnoozeDuration {
    /// When an action snoozed now comes back; `next_business_morning` is the location's next
    /// morning (see [`crate::business_hours::BusinessHours::next_morning`]).
    pub fn until(self, now: DateTime<Utc>, next_business_morning: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            SnoozeDuration::OneHour => now + Duration::hours(1),
            SnoozeDuration::FourHours => now + Duration::hours(4),
            SnoozeDuration::OneDay => now + Duration::days(1),
            SnoozeDuration::ThreeDays => now + Duration::days(3),
            SnoozeDuration::NextBusinessMorning => next_business_morning,
        }
    }
}

/// The agent's confidence in a proposal, a whole percentage from 0 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Confidence(u8);

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Confidence {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some(
                "The agent's confidence, a whole percentage from 0 to 100.",
            ))
            .minimum(Some(0))
            .maximum(Some(100))
            .examples([serde_json::json!(87)])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Confidence {}

/// A confidence outside 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("confidence must be a whole number from 0 to 100, got {0}")]
pub struct ConfidenceError(pub i64);

impl Confidence {
    pub const MAX: Confidence = Confidence(100);

    /// The score as a percentage.
    pub const fn percent(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Confidence {
    type Error = ConfidenceError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= 100)
            .map(Confidence)
            .ok_or(ConfidenceError(value))
    }
}

impl From<Confidence> for u8 {
    fn from(value: Confidence) -> Self {
        value.0
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// One reason the agent is as confident as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfidenceFactor {
    /// What contributed, in the reviewer's words.
    #[cfg_attr(feature = "openapi", schema(example = "Strong payment history"))]
    pub label: String,
    /// How much it moved the score, in percentage points (negative lowers it).
    #[cfg_attr(feature = "openapi", schema(example = 12))]
    pub impact: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_enum_round_trips_through_its_wire_string() {
        fn check<T>(all: &[T])
        where
            T: Copy
                + std::fmt::Debug
                + PartialEq
                + std::str::FromStr
                + Serialize
                + std::fmt::Display,
            T::Err: std::fmt::Debug,
        {
            for value in all {
                let wire = value.to_string();
                assert_eq!(wire.parse::<T>().expect("parses"), *value);
                assert_eq!(
                    serde_json::to_value(value).expect("serialises"),
                    serde_json::Value::String(wire)
                );
            }
        }
        check(ActionType::ALL);
        check(Channel::ALL);
        check(Priority::ALL);
        check(CustomerType::ALL);
        check(RejectionReason::ALL);
        check(Tone::ALL);
        check(SnoozeDuration::ALL);
    }

    #[test]
    fn an_unknown_value_names_what_was_expected() {
        let err = "urgentest".parse::<Priority>().expect_err("not a priority");
        assert_eq!(
            err.to_string(),
            "`urgentest` is not a valid Priority; expected one of: low, medium, high, critical"
        );
    }

    #[test]
    fn priorities_order_by_urgency() {
        assert!(Priority::Low < Priority::Medium);
        assert!(Priority::High < Priority::Critical);
    }

    #[test]
    fn snooze_presets_are_the_documented_lengths() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let morning = now + Duration::hours(33);
        assert_eq!(
            SnoozeDuration::OneHour.until(now, morning),
            now + Duration::hours(1)
        );
        assert_eq!(
            SnoozeDuration::FourHours.until(now, morning),
            now + Duration::hours(4)
        );
        assert_eq!(
            SnoozeDuration::OneDay.until(now, morning),
            now + Duration::hours(24)
        );
        assert_eq!(
            SnoozeDuration::ThreeDays.until(now, morning),
            now + Duration::hours(72)
        );
        assert_eq!(
            SnoozeDuration::NextBusinessMorning.until(now, morning),
            morning
        );
    }

    proptest! {
        #[test]
        fn confidence_accepts_exactly_zero_to_one_hundred(value in -1_000i64..1_000) {
            let parsed = Confidence::try_from(value);
            prop_assert_eq!(parsed.is_ok(), (0..=100).contains(&value));
            if let Ok(confidence) = parsed {
                prop_assert_eq!(i64::from(confidence.percent()), value);
            }
        }

        #[test]
        fn confidence_deserialises_with_the_same_rule(value in -1_000i64..1_000) {
            let parsed: Result<Confidence, _> = serde_json::from_str(&value.to_string());
            prop_assert_eq!(parsed.is_ok(), (0..=100).contains(&value));
        }
    }
}
