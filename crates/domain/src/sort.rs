//! The orders the action list can be sorted in: the server builds its SQL from them, the SPA its
//! column headers, and both read and write the same `sort` parameter (`-` for descending).

use serde::{Deserialize, Serialize};

crate::action::wire_enum! {
    /// A column the list can be sorted by, labelled as the list's header names it.
    pub enum SortField {
        Subject => ("subject", "Subject"),
        Customer => ("customer", "Customer"),
        /// The criteria type: the agent's name.
        Agent => ("agent", "Criteria type"),
        ActionType => ("action_type", "Action type"),
        Channel => ("channel", "Channel"),
        Confidence => ("confidence", "Confidence"),
        /// By urgency, not by name.
        Priority => ("priority", "Priority"),
        Status => ("status", "Status"),
        CreatedAt => ("created_at", "Created"),
        ExpiresAt => ("expires_at", "Expires"),
    }
}

impl SortField {
    /// Whether a first click sorts this column highest (or newest) first.
    pub const fn starts_descending(self) -> bool {
        matches!(
            self,
            SortField::CreatedAt | SortField::Confidence | SortField::Priority
        )
    }
}

/// A list order: a column and a direction; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Self {
        Sort {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

impl Sort {
    /// The order after clicking `field`'s header: a second click flips the direction, a new
    /// column starts in its natural direction.
    pub fn clicked(self, field: SortField) -> Sort {
        Sort {
            field,
            descending: if self.field == field {
                !self.descending
            } else {
                field.starts_descending()
            },
        }
    }
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, String> {
        let (descending, name) = match value.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, value),
        };
        name.parse::<SortField>()
            .map(|field| Sort { field, descending })
            .map_err(|_| {
                let known: Vec<_> = SortField::ALL.iter().map(|field| field.as_str()).collect();
                format!(
                    "`{value}` is not a sortable column; expected one of: {} (prefix `-` for descending)",
                    known.join(", ")
                )
            })
    }
}

impl std::fmt::Display for Sort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.descending { "-" } else { "" };
        write!(f, "{sign}{}", self.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_an_optional_minus() {
        assert_eq!("-created_at".parse::<Sort>(), Ok(Sort::default()));
        let by_confidence: Sort = "confidence".parse().expect("known column");
        assert!(!by_confidence.descending);
        assert_eq!(by_confidence.to_string(), "confidence");
        assert!("-colour".parse::<Sort>().is_err());
    }

    #[test]
    fn every_sort_reads_back_as_itself() {
        for field in SortField::ALL {
            for descending in [false, true] {
                let sort = Sort {
                    field: *field,
                    descending,
                };
                assert_eq!(sort.to_string().parse::<Sort>(), Ok(sort));
            }
        }
    }

    #[test]
    fn clicking_a_header_flips_or_starts_in_its_natural_direction() {
        let newest = Sort::default();
        assert!(!newest.clicked(SortField::CreatedAt).descending);
        assert!(newest.clicked(SortField::Confidence).descending);
        assert!(!newest.clicked(SortField::Customer).descending);
        let by_customer = newest.clicked(SortField::Customer);
        assert!(by_customer.clicked(SortField::Customer).descending);
    }
}
