//! Translation of database errors and undecodable rows into [`StoreError`].
//!
//! Unique and foreign-key violations become [`StoreError::Conflict`] (the data does
//! not fit, retrying will not help); every other database failure is
//! [`StoreError::Unavailable`]; a stored value that no longer parses is
//! [`StoreError::Corrupt`].

use pforte_types::StoreError;
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn db_error(err: DbErr) -> StoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => StoreError::Conflict(detail),
        Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
            StoreError::Conflict(format!("referenced record missing: {detail}"))
        }
        _ => StoreError::Unavailable(err.to_string()),
    }
}

/// Decodes a JSON column into its domain type.
pub(crate) fn from_json<T: DeserializeOwned>(
    value: serde_json::Value,
    column: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|err| StoreError::Corrupt(format!("{column}: {err}")))
}

/// Encodes a domain value for a JSON column.
pub(crate) fn to_json<T: Serialize + ?Sized>(
    value: &T,
    column: &str,
) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|err| StoreError::Corrupt(format!("{column}: {err}")))
}

/// Reports a text column that holds no known enum value.
pub(crate) fn unknown_value(column: &str, text: &str) -> StoreError {
    StoreError::Corrupt(format!("{column}: unknown value {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_without_a_constraint_violation_mean_the_store_is_unavailable() {
        let err = db_error(DbErr::Custom("connection reset".to_owned()));
        assert!(matches!(err, StoreError::Unavailable(_)));
    }

    #[test]
    fn json_of_the_wrong_shape_is_reported_as_corrupt() {
        let result: Result<Vec<String>, _> = from_json(serde_json::json!({"a": 1}), "amr");
        assert!(matches!(result, Err(StoreError::Corrupt(detail)) if detail.starts_with("amr")));
    }
}
