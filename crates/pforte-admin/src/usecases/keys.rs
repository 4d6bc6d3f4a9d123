//! Signing keys in the admin console and API (R-OP-1): list them and rotate
//! them with the provider's own key service, the same `KeyManager::rotate`
//! as `pforte keys rotate`. The new keys sign at once on this node; other
//! nodes pick them up within `keys.reload_interval_secs` (R-OP-5). The
//! previous keys stay published until their tokens have expired.

use chrono::{DateTime, Utc};
use pforte_identity::RequestContext;
use pforte_identity::audit::AuditKind;
use pforte_identity::operator_roles::Permission;

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;

/// A signing key without its private part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyView {
    pub kid: String,
    pub alg: String,
    /// `active` or `retired`.
    pub state: &'static str,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
    /// When a retired key leaves the JWKS.
    pub published_until: Option<DateTime<Utc>>,
}

/// The stored signing keys, newest first.
pub async fn list_keys(
    state: &AdminState,
    operator: &Operator,
) -> Result<Vec<KeyView>, AdminError> {
    operator.require(Permission::ViewKeys)?;
    let keys = state.web.oauth.keys().list().await.map_err(failed)?;
    Ok(keys
        .into_iter()
        .map(|key| KeyView {
            state: key.state(),
            alg: key.alg.to_string(),
            kid: key.kid,
            created_at: key.created_at,
            retired_at: key.retired_at,
            published_until: key.published_until,
        })
        .collect())
}

/// Makes a new key per algorithm active; returns the new key ids.
pub async fn rotate_keys(
    state: &AdminState,
    operator: &Operator,
    context: RequestContext,
) -> Result<Vec<String>, AdminError> {
    operator.require(Permission::RotateKeys)?;
    let kids = state.web.oauth.keys().rotate().await.map_err(failed)?;
    state
        .web
        .identity
        .audit_operator_action(
            AuditKind::SigningKeysRotated,
            None,
            Some(format!("kids={}", kids.join(","))),
            &operator.context(context),
        )
        .await?;
    Ok(kids)
}

/// A key service failure is the server's (PF-ADMIN-500); the detail is for
/// the log.
fn failed(error: pforte_oauth::OAuthError) -> AdminError {
    AdminError::Store(pforte_types::StoreError::Unavailable(
        error.internal.unwrap_or(error.description),
    ))
}
