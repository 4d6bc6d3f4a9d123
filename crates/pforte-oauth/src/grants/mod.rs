//! The grants of the token endpoint, one file each, and what they share:
//! issuing the tokens of a user grant (access token, ID token, refresh token)
//! and scope arithmetic.
//!
//! Refresh tokens are issued whenever the client is registered for the
//! `refresh_token` grant: registration is the operator's decision that this
//! client may stay signed in (R-ID-3: the portal and the app), so we do not
//! additionally ask for `offline_access` (OIDC Core 11 lets the provider decide).

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

use crate::access_token::AccessTokenGrant;
use crate::error::OAuthError;
use crate::id_token::IdTokenSubject;
use crate::model::{AuthContext, Client, GrantType, RefreshToken};
use crate::provider::Provider;
use crate::released_claims::{ClaimsTarget, requested_claims};
use crate::token::TokenResponse;
use chrono::{DateTime, Utc};
use pforte_crypto::random::{random_token, sha256_b64url};
use pforte_types::AccountId;
use serde_json::Value;

/// The scopes of a space-separated scope string.
pub(crate) fn scopes(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|scope| !scope.is_empty())
}

pub(crate) fn has_scope(scope: &str, wanted: &str) -> bool {
    scopes(scope).any(|scope| scope == wanted)
}

/// A refresh token to issue alongside the other tokens.
#[derive(Debug, Clone)]
pub(crate) struct RefreshIssue {
    /// The refresh token's own scope (RFC 6749 6: a rotated token keeps the
    /// scope of the one it replaces, even when the request narrowed it).
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

/// Everything the token response of a user grant is built from.
#[derive(Debug, Clone)]
pub(crate) struct UserGrantIssue<'a> {
    pub client: &'a Client,
    pub grant_id: &'a str,
    pub account: AccountId,
    /// The scope of this response's access and ID token.
    pub scope: &'a str,
    pub auth: &'a AuthContext,
    pub nonce: Option<&'a str>,
    pub claims_request: Option<&'a Value>,
    pub refresh: Option<RefreshIssue>,
}

impl Provider {
    /// Issues an access token, an ID token when `openid` is in scope, and a
    /// refresh token when one is planned.
    pub(crate) async fn issue_user_tokens(
        &self,
        issue: &UserGrantIssue<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let subject = issue.account.to_string();
        let userinfo_claims = requested_claims(issue.claims_request, ClaimsTarget::Userinfo);
        let (access_token, expires_in) = self.mint_access_token(&AccessTokenGrant {
            client_id: &issue.client.client_id,
            subject: &subject,
            scope: issue.scope,
            grant_id: Some(issue.grant_id),
            auth: Some(issue.auth),
            userinfo_claims: &userinfo_claims,
        })?;
        let id_token = if has_scope(issue.scope, "openid") {
            Some(
                self.mint_id_token(&IdTokenSubject {
                    client: issue.client,
                    account: issue.account,
                    auth: issue.auth,
                    nonce: issue.nonce,
                    scope: issue.scope,
                    claims_request: issue.claims_request,
                    access_token: &access_token,
                })
                .await?,
            )
        } else {
            None
        };
        let refresh_token = match &issue.refresh {
            Some(plan) => Some(self.store_refresh_token(issue, plan).await?),
            None => None,
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token,
            id_token,
            scope: issue.scope.to_owned(),
        })
    }

    async fn store_refresh_token(
        &self,
        issue: &UserGrantIssue<'_>,
        plan: &RefreshIssue,
    ) -> Result<String, OAuthError> {
        let value = random_token();
        self.ports
            .grants
            .insert_refresh_token(&RefreshToken {
                token_digest: sha256_b64url(&value),
                grant_id: issue.grant_id.to_owned(),
                client_id: issue.client.client_id.clone(),
                account_id: issue.account,
                scope: plan.scope.clone(),
                claims_request: issue.claims_request.cloned(),
                auth: issue.auth.clone(),
                created_at: self.clock.now(),
                expires_at: plan.expires_at,
            })
            .await?;
        Ok(value)
    }

    /// A refresh token for a new grant, when the client may refresh.
    pub(crate) fn plan_new_refresh_token(
        &self,
        client: &Client,
        scope: &str,
    ) -> Option<RefreshIssue> {
        if !client.allows_grant(GrantType::RefreshToken) {
            return None;
        }
        let ttl = chrono::Duration::from_std(self.config.refresh_token_ttl).ok()?;
        Some(RefreshIssue {
            scope: scope.to_owned(),
            expires_at: self
                .clock
                .now()
                .checked_add_signed(ttl)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        })
    }

    /// Revokes a grant after a replayed code or refresh token (RFC 9700 4.14.2,
    /// RFC 6749 4.1.2) and answers `invalid_grant`.
    pub(crate) async fn revoke_replayed_grant(&self, grant_id: &str, what: &str) -> OAuthError {
        match self
            .ports
            .grants
            .revoke_grant(grant_id, self.clock.now())
            .await
        {
            Ok(()) => OAuthError::invalid_grant(format!(
                "the {what} was already used; everything issued from it is revoked"
            )),
            Err(error) => error.into(),
        }
    }

    /// The grant must still stand (not revoked by reuse, revocation or logout).
    pub(crate) async fn require_live_grant(&self, grant_id: &str) -> Result<(), OAuthError> {
        match self.ports.grants.get_grant(grant_id).await? {
            Some(grant) if grant.revoked_at.is_none() => Ok(()),
            _ => Err(OAuthError::invalid_grant("the grant has been revoked")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_3_3_scope_is_a_space_separated_list() {
        assert_eq!(
            scopes(" openid  email ").collect::<Vec<_>>(),
            ["openid", "email"]
        );
        assert!(has_scope("api openid", "openid"));
        assert!(!has_scope("openidx", "openid"));
    }
}
