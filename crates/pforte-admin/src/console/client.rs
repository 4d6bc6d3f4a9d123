//! The console as a relying party of Pforte (ADR 0006): the built-in public
//! client `pforte-admin` and the authorization request it sends.

use pforte_crypto::random::{random_token, sha256_b64url};
use url::form_urlencoded;

/// The client id of the console (a public client, PKCE S256, RFC 7636).
pub const ADMIN_CLIENT_ID: &str = "pforte-admin";
/// Where the provider sends the operator back with the code.
pub const CALLBACK_PATH: &str = "/admin/callback";
/// The console's home page.
pub const HOME_PATH: &str = "/admin";
/// Starts a console login.
pub const LOGIN_PATH: &str = "/admin/login";
/// Ends the console session (POST).
pub const LOGOUT_PATH: &str = "/admin/logout";

/// The console's redirect URI for an issuer.
pub fn redirect_uri(issuer: &str) -> String {
    format!("{}{CALLBACK_PATH}", issuer.trim_end_matches('/'))
}

/// What a started login remembers until the callback: the `state` (also in
/// the login cookie), the `nonce` expected in the ID token and the PKCE
/// `code_verifier` (RFC 7636 4.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
}

impl PendingLogin {
    pub fn new() -> Self {
        Self {
            state: random_token(),
            nonce: random_token(),
            code_verifier: random_token(),
        }
    }

    /// The authorization request (OIDC Core 3.1.2.1): code flow, PKCE S256,
    /// the required level as `acr_values` and `prompt=login`, so every
    /// console login is a fresh login with its second factor.
    pub fn authorization_url(&self, issuer: &str, required_acr: &str) -> String {
        let issuer = issuer.trim_end_matches('/');
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", ADMIN_CLIENT_ID)
            .append_pair("redirect_uri", &redirect_uri(issuer))
            .append_pair("scope", "openid")
            .append_pair("state", &self.state)
            .append_pair("nonce", &self.nonce)
            .append_pair("code_challenge", &sha256_b64url(&self.code_verifier))
            .append_pair("code_challenge_method", "S256")
            .append_pair("acr_values", required_acr)
            .append_pair("prompt", "login")
            .finish();
        format!("{issuer}/authorize?{query}")
    }
}

impl Default for PendingLogin {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn r_op_1_the_console_asks_for_a_fresh_login_at_the_required_level_with_pkce() {
        let pending = PendingLogin::new();
        let url = pending.authorization_url("https://login.example/", "loa-high");
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.path(), "/authorize");
        let pairs: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs["client_id"], ADMIN_CLIENT_ID);
        assert_eq!(
            pairs["redirect_uri"],
            "https://login.example/admin/callback"
        );
        assert_eq!(pairs["acr_values"], "loa-high");
        assert_eq!(pairs["prompt"], "login");
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(
            pairs["code_challenge"],
            sha256_b64url(&pending.code_verifier)
        );
        assert_eq!(pairs["state"], pending.state);
        assert_eq!(pairs["nonce"], pending.nonce);
        assert_ne!(PendingLogin::new().state, pending.state);
    }
}
