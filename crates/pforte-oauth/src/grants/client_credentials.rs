//! The client credentials grant (RFC 6749 4.4): a confidential client acting
//! on its own behalf. No user is involved, so there is no ID token, no refresh
//! token (RFC 6749 4.4.3) and the access token's `sub` is the client id
//! (RFC 9068 2.2).

use crate::access_token::AccessTokenGrant;
use crate::discovery::OPENID_SCOPES;
use crate::error::OAuthError;
use crate::model::Client;
use crate::params::Params;
use crate::provider::Provider;
use crate::token::TokenResponse;

/// The scope to grant: the requested scopes, each one of the client's
/// registered API scopes (`extra_scopes`); OpenID scopes describe a user and
/// are `invalid_scope` here. Without a `scope` parameter the client gets all of
/// its registered API scopes (RFC 6749 3.3 lets the server apply a default).
pub(crate) fn client_credentials_scope(
    client: &Client,
    requested: &[String],
) -> Result<String, OAuthError> {
    if requested.is_empty() {
        return Ok(client.extra_scopes.join(" "));
    }
    let mut granted: Vec<&str> = Vec::with_capacity(requested.len());
    for scope in requested {
        if OPENID_SCOPES.contains(&scope.as_str()) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {scope} needs a user and cannot be granted to the client itself"
            )));
        }
        if !client.extra_scopes.iter().any(|allowed| allowed == scope) {
            return Err(OAuthError::invalid_scope(format!(
                "scope {scope} is not registered for this client"
            )));
        }
        if !granted.contains(&scope.as_str()) {
            granted.push(scope);
        }
    }
    Ok(granted.join(" "))
}

impl Provider {
    pub(crate) async fn client_credentials_grant(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        // RFC 6749 4.4: confidential clients only.
        if client.is_public() {
            return Err(OAuthError::unauthorized_client(
                "public clients may not use the client_credentials grant",
            ));
        }
        let scope = client_credentials_scope(client, &params.list("scope")?)?;
        let (access_token, expires_in) = self.mint_access_token(&AccessTokenGrant {
            client_id: &client.client_id,
            subject: &client.client_id,
            scope: &scope,
            grant_id: None,
            auth: None,
            userinfo_claims: &[],
        })?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token: None,
            id_token: None,
            scope,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::error::ErrorCode;
    use crate::model::{ApplicationType, ClientAuthMethod, GrantType};
    use chrono::DateTime;
    use pforte_crypto::SigningAlg;

    fn batch() -> Client {
        Client {
            client_id: "batch".into(),
            name: None,
            secret_digest: None,
            auth_method: ClientAuthMethod::ClientSecretBasic,
            jwks: None,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            application_type: ApplicationType::Web,
            require_par: false,
            require_pkce: false,
            grant_types: vec![GrantType::ClientCredentials],
            extra_scopes: vec!["api.read".into(), "api.write".into()],
            id_token_alg: SigningAlg::RS256,
            default_acr_values: Vec::new(),
            minimum_acr: None,
            brand: None,
            logout: Default::default(),
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    fn list(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn rfc6749_3_3_omitted_scope_defaults_to_the_registered_api_scopes() {
        assert_eq!(
            client_credentials_scope(&batch(), &[]).unwrap(),
            "api.read api.write"
        );
    }

    #[test]
    fn rfc6749_4_4_2_requested_registered_scopes_are_granted() {
        assert_eq!(
            client_credentials_scope(&batch(), &list(&["api.write", "api.write"])).unwrap(),
            "api.write"
        );
    }

    #[test]
    fn rfc6749_4_4_2_openid_and_unregistered_scopes_are_invalid_scope() {
        for scope in ["openid", "email", "offline_access", "admin"] {
            assert_eq!(
                client_credentials_scope(&batch(), &list(&["api.read", scope]))
                    .unwrap_err()
                    .code,
                ErrorCode::InvalidScope,
                "{scope}"
            );
        }
    }
}
