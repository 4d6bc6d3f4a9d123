//! OpenID Connect Front-Channel Logout 1.0 (R-SE-2): the URIs the provider's
//! logout page loads in hidden iframes, one per client of the ended session
//! that registered a `frontchannel_logout_uri` (§3, §4).
//!
//! When the client registered `frontchannel_logout_session_required`, the
//! URI gets the query parameters `iss` (our issuer) and `sid` (the ended
//! session), added to any query it already has (§2). Otherwise it is loaded
//! as registered.

use crate::error::OAuthError;
use crate::model::Client;
use crate::provider::Provider;

/// The URI to load for `client`, or `None` when it registered none (pure).
pub fn frontchannel_logout_url(client: &Client, issuer: &str, sid: &str) -> Option<String> {
    let uri = client.logout.frontchannel_uri.as_deref()?;
    if !client.logout.frontchannel_session_required {
        return Some(uri.to_owned());
    }
    let query = serde_urlencoded::to_string([("iss", issuer), ("sid", sid)]).ok()?;
    let separator = if uri.contains('?') { '&' } else { '?' };
    Some(format!("{uri}{separator}{query}"))
}

impl Provider {
    /// The front-channel logout URIs of the clients among `client_ids`, each
    /// client once, in the order given (FCL 1.0 §4). A client that has since
    /// been removed is skipped.
    pub async fn frontchannel_logout_urls(
        &self,
        client_ids: &[String],
        sid: &str,
    ) -> Result<Vec<String>, OAuthError> {
        let mut seen: Vec<&str> = Vec::new();
        let mut urls = Vec::new();
        for client_id in client_ids {
            if seen.contains(&client_id.as_str()) {
                continue;
            }
            seen.push(client_id);
            if let Some(client) = self.client(client_id).await?
                && let Some(url) = frontchannel_logout_url(&client, &self.config.issuer, sid)
            {
                urls.push(url);
            }
        }
        Ok(urls)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{ApplicationType, ClientAuthMethod, LogoutEndpoints};
    use chrono::DateTime;
    use pforte_crypto::SigningAlg;

    fn client(uri: Option<&str>, session_required: bool) -> Client {
        Client {
            client_id: "portal".into(),
            name: None,
            secret_digest: None,
            auth_method: ClientAuthMethod::ClientSecretBasic,
            jwks: None,
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            application_type: ApplicationType::Web,
            require_par: false,
            require_pkce: false,
            grant_types: vec![],
            extra_scopes: vec![],
            id_token_alg: SigningAlg::RS256,
            default_acr_values: Vec::new(),
            minimum_acr: None,
            brand: None,
            logout: LogoutEndpoints {
                frontchannel_uri: uri.map(str::to_owned),
                frontchannel_session_required: session_required,
                ..LogoutEndpoints::default()
            },
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn fcl_2_iss_and_sid_are_added_only_when_the_client_requires_them() {
        let issuer = "https://id.example.test";
        assert_eq!(
            frontchannel_logout_url(&client(None, true), issuer, "s"),
            None
        );
        assert_eq!(
            frontchannel_logout_url(&client(Some("https://rp.example/fcl"), false), issuer, "s")
                .as_deref(),
            Some("https://rp.example/fcl")
        );
        assert_eq!(
            frontchannel_logout_url(
                &client(Some("https://rp.example/fcl"), true),
                issuer,
                "sid 1"
            )
            .as_deref(),
            Some("https://rp.example/fcl?iss=https%3A%2F%2Fid.example.test&sid=sid+1")
        );
        assert_eq!(
            frontchannel_logout_url(
                &client(Some("https://rp.example/fcl?tenant=a"), true),
                issuer,
                "s"
            )
            .as_deref(),
            Some("https://rp.example/fcl?tenant=a&iss=https%3A%2F%2Fid.example.test&sid=s")
        );
    }
}
