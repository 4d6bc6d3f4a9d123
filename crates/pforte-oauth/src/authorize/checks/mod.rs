//! One check per file, run in the order of `../pipeline.rs`.
//!
//! Gate checks (`request_uri`, `client`, `redirect_uri`) take the
//! [`Gate`](super::pipeline::Gate); request checks read the
//! [`CheckContext`](super::pipeline::CheckContext) and fill in the
//! [`AuthorizationRequest`](super::pipeline::AuthorizationRequest).

pub(crate) mod acr;
pub(crate) mod claims;
pub(crate) mod client;
pub(crate) mod grant_type;
pub(crate) mod id_token_hint;
pub(crate) mod login_hint;
pub(crate) mod max_age;
pub(crate) mod nonce;
pub(crate) mod par_required;
pub(crate) mod pkce;
pub(crate) mod prompt;
pub(crate) mod redirect_uri;
pub(crate) mod request_object;
pub(crate) mod request_uri;
pub(crate) mod response_mode;
pub(crate) mod response_type;
pub(crate) mod scope;
pub(crate) mod state;
pub(crate) mod ui_locales;

#[cfg(test)]
pub(crate) mod test_support {
    //! A client, parameters and a context for the unit tests of the checks.
    #![allow(clippy::unwrap_used)]

    use super::super::pipeline::{AuthorizationRequest, CheckContext};
    use crate::error::{ErrorCode, OAuthError};
    use crate::id_token_hint::tests::{ISSUER, TestKeys};
    use crate::model::{ApplicationType, Client, ClientAuthMethod, GrantType};
    use crate::params::Params;
    use chrono::DateTime;
    use pforte_crypto::SigningAlg;

    /// Literal parameters in a test table.
    pub(crate) type Pairs = &'static [(&'static str, &'static str)];

    pub(crate) fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    pub(crate) fn web_client() -> Client {
        Client {
            client_id: "portal".into(),
            name: Some("Portal".into()),
            secret_digest: Some("digest".into()),
            auth_method: ClientAuthMethod::ClientSecretBasic,
            jwks: None,
            redirect_uris: vec!["https://portal.example/cb".into()],
            post_logout_redirect_uris: vec![],
            application_type: ApplicationType::Web,
            require_par: false,
            require_pkce: false,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            extra_scopes: vec!["api".into()],
            id_token_alg: SigningAlg::RS256,
            default_acr_values: Vec::new(),
            minimum_acr: None,
            brand: None,
            logout: Default::default(),
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    pub(crate) fn public_client() -> Client {
        Client {
            client_id: "app".into(),
            secret_digest: None,
            auth_method: ClientAuthMethod::None,
            application_type: ApplicationType::Native,
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            extra_scopes: vec![],
            ..web_client()
        }
    }

    /// Runs one request check on `params` for `client` at `/authorize`.
    pub(crate) fn run(
        check: super::super::pipeline::RequestCheck,
        client: &Client,
        pairs: &[(&str, &str)],
    ) -> Result<AuthorizationRequest, OAuthError> {
        run_with(check, client, pairs, &TestKeys::new(), false)
    }

    pub(crate) fn run_with(
        check: super::super::pipeline::RequestCheck,
        client: &Client,
        pairs: &[(&str, &str)],
        keys: &TestKeys,
        via_par: bool,
    ) -> Result<AuthorizationRequest, OAuthError> {
        run_full(
            check,
            client,
            pairs,
            keys,
            via_par,
            AuthorizationRequest::new(),
        )
    }

    /// Runs one request check on a request earlier checks already filled.
    pub(crate) fn run_on(
        check: super::super::pipeline::RequestCheck,
        client: &Client,
        pairs: &[(&str, &str)],
        request: AuthorizationRequest,
    ) -> Result<AuthorizationRequest, OAuthError> {
        run_full(check, client, pairs, &TestKeys::new(), false, request)
    }

    fn run_full(
        check: super::super::pipeline::RequestCheck,
        client: &Client,
        pairs: &[(&str, &str)],
        keys: &TestKeys,
        via_par: bool,
        mut request: AuthorizationRequest,
    ) -> Result<AuthorizationRequest, OAuthError> {
        let params = params(pairs);
        let levels: Vec<String> = crate::config::DEFAULT_ACR_LEVELS
            .iter()
            .map(|&level| level.to_owned())
            .collect();
        let context = CheckContext {
            via_par,
            params: &params,
            client,
            issuer: ISSUER,
            keys,
            acr_levels: &levels,
            minimum_acr: None,
        };
        check(&context, &mut request).map(|()| request)
    }

    /// The error code of a failed check, or `None` when it passed.
    pub(crate) fn code_of(result: &Result<AuthorizationRequest, OAuthError>) -> Option<ErrorCode> {
        result.as_ref().err().map(|error| error.code)
    }
}
