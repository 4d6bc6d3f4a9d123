//! Per-session page state of the self-service pages (pending codes, the time
//! of the last password proof), kept as JSON in the ephemeral store for the
//! lifetime of a provider session. Each page names its own key.

use crate::state::AppState;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The state stored under `key`, if any. Errors are internal details for the
/// log (store unreachable, stored JSON unreadable).
pub(crate) async fn load<T: DeserializeOwned>(
    state: &AppState,
    key: &str,
) -> Result<Option<T>, String> {
    match state
        .ephemeral
        .get_ephemeral(key)
        .await
        .map_err(|error| error.to_string())?
    {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| error.to_string()),
        None => Ok(None),
    }
}

/// Stores `value` under `key` for a session's lifetime.
pub(crate) async fn save<T: Serialize>(
    state: &AppState,
    key: &str,
    value: &T,
) -> Result<(), String> {
    let bytes = serde_json::to_vec(value).map_err(|error| error.to_string())?;
    state
        .ephemeral
        .put_ephemeral(key, &bytes, state.settings.session_ttl)
        .await
        .map_err(|error| error.to_string())
}
