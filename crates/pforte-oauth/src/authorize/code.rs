//! Issuing the authorization code (RFC 6749 4.1.2): a grant that everything
//! issued from this authorization hangs off, and a single-use code bound to the
//! client, the exact redirect URI, the PKCE challenge, the nonce, the scope, the
//! claims request and the login that happened (RFC 9700 2.1.1, 4.2). The `acr`
//! kept for the tokens is the level reached, or the highest value of an
//! essential `acr` claim it covers (OIDC Core 5.5.1.1, `checks/acr.rs`).
//!
//! The code is a 256-bit random token; only its SHA-256 digest is stored. It
//! lives `code_ttl`, never longer than 60 s (issue acceptance, ASVS 10.4.3 L3).

use super::PendingAuthorization;
use super::checks::acr::reported_acr;
use super::checks::claims::essential_acr_values;
use crate::error::OAuthError;
use crate::model::{AuthContext, AuthorizationCode, Grant};
use crate::provider::Provider;
use chrono::TimeDelta;
use pforte_crypto::random::{random_token, sha256_b64url};
use pforte_types::AuthResult;
use std::time::Duration;

/// The longest an authorization code may live, whatever the configuration says.
pub(crate) const MAX_CODE_TTL: Duration = Duration::from_secs(60);

impl Provider {
    /// Stores a new grant and code for `pending` and the login `result`;
    /// returns the code value for the response.
    pub(crate) async fn issue_code(
        &self,
        pending: &PendingAuthorization,
        result: &AuthResult,
    ) -> Result<String, OAuthError> {
        let now = self.clock.now();
        let lifetime = TimeDelta::from_std(self.config.code_ttl.min(MAX_CODE_TTL))
            .map_err(|error| OAuthError::server_error(error.to_string()))?;
        let scope = pending.scopes.join(" ");
        let grant = Grant {
            grant_id: uuid::Uuid::now_v7().to_string(),
            client_id: pending.client_id.clone(),
            account_id: result.account_id,
            scope: scope.clone(),
            created_at: now,
            revoked_at: None,
        };
        self.ports.grants.insert_grant(&grant).await?;
        let code = random_token();
        let record = AuthorizationCode {
            code_digest: sha256_b64url(&code),
            grant_id: grant.grant_id,
            client_id: pending.client_id.clone(),
            account_id: result.account_id,
            redirect_uri: pending.redirect_uri.clone(),
            scope,
            nonce: pending.nonce.clone(),
            code_challenge: pending.code_challenge.clone(),
            claims_request: pending.claims.clone(),
            auth: AuthContext {
                auth_time: result.auth_time,
                acr: reported_acr(
                    &self.config.acr_levels,
                    &result.acr,
                    &pending
                        .claims
                        .as_ref()
                        .map(essential_acr_values)
                        .unwrap_or_default(),
                ),
                amr: result.amr.clone(),
                sid: Some(result.sid.clone()),
            },
            expires_at: now + lifetime,
        };
        self.ports.grants.insert_code(&record).await?;
        Ok(code)
    }
}
