//! The refresh token grant (RFC 6749 6, OIDC Core 12, RFC 9700 4.14.2).
//!
//! Every use rotates the token: the presented one is consumed atomically and a
//! new one issued for the same grant. Presenting a token that was already
//! rotated away means it leaked (either the attacker or the client holds a
//! stale copy), so the whole grant is revoked. The new token keeps the
//! *absolute* expiry of the first one issued for the grant: rotation never
//! extends a login beyond `refresh_token_ttl` (ASVS 10.4.8).

use crate::error::OAuthError;
use crate::grants::{RefreshIssue, UserGrantIssue, scopes};
use crate::model::{Client, RefreshConsumption};
use crate::params::Params;
use crate::provider::Provider;
use crate::token::TokenResponse;
use pforte_crypto::random::sha256_b64url;

/// The scope of the refreshed access token: the original when `requested` is
/// empty, else `requested`, which must not exceed the original (RFC 6749 6).
pub(crate) fn narrowed_scope(original: &str, requested: &[String]) -> Result<String, OAuthError> {
    if requested.is_empty() {
        return Ok(original.to_owned());
    }
    if let Some(extra) = requested
        .iter()
        .find(|scope| !scopes(original).any(|granted| granted == scope.as_str()))
    {
        return Err(OAuthError::invalid_scope(format!(
            "scope {extra} was not granted originally"
        )));
    }
    // Keep the original order, drop duplicates.
    Ok(scopes(original)
        .filter(|granted| requested.iter().any(|scope| scope == granted))
        .collect::<Vec<_>>()
        .join(" "))
}

impl Provider {
    pub(crate) async fn refresh_token_grant(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let value = params.require("refresh_token")?;
        let requested_scope = params.list("scope")?;
        let now = self.clock.now();
        let token = match self
            .ports
            .grants
            .consume_refresh_token(&sha256_b64url(value), now)
            .await?
        {
            RefreshConsumption::Fresh(token) => token,
            RefreshConsumption::Reused { grant_id } => {
                return Err(self.revoke_replayed_grant(&grant_id, "refresh token").await);
            }
            RefreshConsumption::Unknown => {
                return Err(OAuthError::invalid_grant("unknown refresh token"));
            }
        };
        if token.client_id != client.client_id {
            // Another authenticated client holds this client's refresh token: it
            // has leaked. It is consumed now anyway, so end the grant rather than
            // leave the rightful client with a dead token and a live grant.
            self.ports.grants.revoke_grant(&token.grant_id, now).await?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if token.expires_at <= now {
            return Err(OAuthError::invalid_grant("the refresh token has expired"));
        }
        self.require_live_grant(&token.grant_id).await?;
        let scope = narrowed_scope(&token.scope, &requested_scope)?;
        self.issue_user_tokens(&UserGrantIssue {
            client,
            grant_id: &token.grant_id,
            account: token.account_id,
            scope: &scope,
            auth: &token.auth,
            // OIDC Core 12.2: no nonce in a refreshed ID token.
            nonce: None,
            claims_request: token.claims_request.as_ref(),
            refresh: Some(RefreshIssue {
                scope: token.scope.clone(),
                expires_at: token.expires_at,
            }),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;

    fn list(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn rfc6749_6_omitted_scope_keeps_the_original() {
        assert_eq!(
            narrowed_scope("openid email api", &[]).unwrap(),
            "openid email api"
        );
    }

    #[test]
    fn rfc6749_6_scope_may_be_narrowed() {
        assert_eq!(
            narrowed_scope("openid email api", &list(&["api", "openid", "api"])).unwrap(),
            "openid api"
        );
    }

    #[test]
    fn rfc6749_6_scope_beyond_the_original_is_invalid_scope() {
        assert_eq!(
            narrowed_scope("openid email", &list(&["openid", "phone"]))
                .unwrap_err()
                .code,
            ErrorCode::InvalidScope
        );
    }
}
