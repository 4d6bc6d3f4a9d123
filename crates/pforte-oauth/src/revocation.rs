//! Token revocation (RFC 7009).
//!
//! - A refresh token revokes its whole grant (RFC 7009 2.1: access tokens of
//!   the same grant SHOULD stop too), so userinfo and introspection refuse every
//!   access token carrying that grant id.
//! - An access token is put on the revocation list by its `jti` until it
//!   expires.
//! - Unknown, malformed, expired or already revoked tokens are answered with
//!   success (RFC 7009 2.2): the client's goal is reached either way.
//! - A token issued to another client is refused with `invalid_grant`
//!   (RFC 7009 2.1 "the request is refused"; RFC 6749 5.2 names "issued to
//!   another client" under `invalid_grant`) and nothing is revoked.
//! - `token_type_hint` is read but the token's shape decides what it is, so a
//!   wrong hint still finds the token. We revoke both kinds, hence never answer
//!   `unsupported_token_type`.
//!
//! Public clients authenticate with their `client_id` alone (RFC 7009 2.1
//! allows revocation for them; discovery advertises `none`).

use crate::access_token::{looks_like_jwt, verify_access_token};
use crate::client_auth::ClientEndpoint;
use crate::error::OAuthError;
use crate::model::Client;
use crate::params::Params;
use crate::provider::Provider;
use pforte_crypto::random::sha256_b64url;

fn issued_to_another_client() -> OAuthError {
    OAuthError::invalid_grant("the token was issued to another client")
}

impl Provider {
    /// Revokes a refresh token (with its whole grant, so its access tokens stop
    /// working) or one access token. Unknown tokens are answered with success
    /// (RFC 7009 2.2).
    pub async fn revoke(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<(), OAuthError> {
        let client = self
            .authenticate_client(params, authorization, ClientEndpoint::Revocation)
            .await?;
        let token = params.require("token")?;
        let _hint = params.get("token_type_hint")?;
        if looks_like_jwt(token) {
            self.revoke_access_token(&client, token).await
        } else {
            self.revoke_refresh_token(&client, token).await
        }
    }

    async fn revoke_access_token(&self, client: &Client, token: &str) -> Result<(), OAuthError> {
        let keys = self.keys.current();
        let Ok(verified) = verify_access_token(
            token,
            |kid| keys.by_kid(kid).cloned(),
            &self.config.issuer,
            self.clock.now().timestamp(),
        ) else {
            return Ok(());
        };
        if verified.client_id != client.client_id {
            return Err(issued_to_another_client());
        }
        self.ports
            .grants
            .revoke_access_token(&verified.jti, verified.expiry())
            .await?;
        Ok(())
    }

    async fn revoke_refresh_token(&self, client: &Client, token: &str) -> Result<(), OAuthError> {
        let Some(refresh) = self
            .ports
            .grants
            .find_active_refresh_token(&sha256_b64url(token))
            .await?
        else {
            return Ok(());
        };
        if refresh.client_id != client.client_id {
            return Err(issued_to_another_client());
        }
        self.ports
            .grants
            .revoke_grant(&refresh.grant_id, self.clock.now())
            .await?;
        Ok(())
    }
}
