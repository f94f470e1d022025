//! Data access: SeaORM queries that return domain views. Every query takes the caller's
//! location and filters by it.

pub mod actions;
pub mod customers;
pub mod locations;
pub mod metrics;

use std::str::FromStr;

use sea_orm::DbErr;

/// What the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing with that id in the caller's location.
    #[error("{0}")]
    NotFound(String),
    #[error("database error")]
    Db(#[from] DbErr),
    /// A stored value that the domain does not accept: a bug or a hand-edited row.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// Parses a stored enum string back into its domain type.
pub(crate) fn parse_stored<T>(value: &str) -> Result<T, StoreError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|error: T::Err| StoreError::Corrupt(error.to_string()))
}

/// Parses a stored JSON column back into its domain type.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// A `snake_case` enum's wire name, as stored.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Folds text for case- and accent-insensitive substring search: "Zoë Müller" → "zoe muller".
pub fn search_key(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|part| deunicode::deunicode(part).to_lowercase())
        .collect::<Vec<_>>()
        .join(" \u{1f} ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_fold_case_and_accents() {
        let key = search_key(&[Some("Zoë Müller"), Some("Café Olé GmbH")]);
        assert!(key.contains("zoe muller"));
        assert!(key.contains("cafe ole gmbh"));
        assert!(!key.contains("muller cafe"), "name and company stay apart");
    }
}
