//! ID tokens (OIDC Core 2, 3.1.3.6, 12.2), signed with the client's
//! `id_token_signed_response_alg` (RS256 unless registered otherwise).
//!
//! Claims: `iss`, `sub`, `aud` (the client id), `exp`, `iat`, `auth_time`,
//! `acr`, `amr`, `sid` (when the login had a provider session), `nonce` (only
//! from the authorization request, never on refresh, OIDC Core 12.2), `at_hash`
//! of the access token issued with it, and the subject claims the granted
//! scopes and the `claims` request's `id_token` member allow
//! ([`crate::released_claims`]).

use crate::error::OAuthError;
use crate::model::{AuthContext, Client};
use crate::provider::Provider;
use crate::released_claims::{ClaimsTarget, insert_claims, released_names, requested_claims};
use pforte_crypto::jose::oidc_hash;
use pforte_types::AccountId;
use serde_json::{Map, Value};

/// Everything an ID token is about.
#[derive(Debug, Clone)]
pub(crate) struct IdTokenSubject<'a> {
    pub client: &'a Client,
    pub account: AccountId,
    pub auth: &'a AuthContext,
    pub nonce: Option<&'a str>,
    /// The granted scope, space-separated.
    pub scope: &'a str,
    pub claims_request: Option<&'a Value>,
    /// The access token issued in the same response, for `at_hash`.
    pub access_token: &'a str,
}

/// The protocol claims of an ID token (pure); subject claims are added by the
/// caller.
pub(crate) fn id_token_claims(
    issuer: &str,
    subject: &IdTokenSubject<'_>,
    now: i64,
    ttl_seconds: i64,
) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("iss".into(), Value::from(issuer));
    claims.insert("sub".into(), Value::from(subject.account.to_string()));
    claims.insert("aud".into(), Value::from(subject.client.client_id.as_str()));
    claims.insert("exp".into(), Value::from(now.saturating_add(ttl_seconds)));
    claims.insert("iat".into(), Value::from(now));
    claims.insert(
        "auth_time".into(),
        Value::from(subject.auth.auth_time.timestamp()),
    );
    if let Some(nonce) = subject.nonce {
        claims.insert("nonce".into(), Value::from(nonce));
    }
    claims.insert("acr".into(), Value::from(subject.auth.acr.as_str()));
    claims.insert("amr".into(), Value::from(subject.auth.amr.clone()));
    if let Some(sid) = subject.auth.sid.as_deref() {
        claims.insert("sid".into(), Value::from(sid));
    }
    claims.insert(
        "at_hash".into(),
        Value::from(oidc_hash(subject.client.id_token_alg, subject.access_token)),
    );
    claims
}

impl Provider {
    /// Builds and signs an ID token. Reads the subject's claims only when the
    /// scopes or the `claims` request release any.
    pub(crate) async fn mint_id_token(
        &self,
        subject: &IdTokenSubject<'_>,
    ) -> Result<String, OAuthError> {
        let ttl = i64::try_from(self.config.id_token_ttl.as_secs()).unwrap_or(i64::MAX);
        let mut claims = id_token_claims(
            &self.config.issuer,
            subject,
            self.clock.now().timestamp(),
            ttl,
        );
        let requested = requested_claims(subject.claims_request, ClaimsTarget::IdToken);
        let names = released_names(subject.scope.split(' '), &requested);
        if !names.is_empty() {
            let subject_claims = self
                .ports
                .claims
                .subject_claims(subject.account)
                .await?
                .ok_or_else(|| OAuthError::invalid_grant("the account no longer exists"))?;
            insert_claims(&mut claims, &subject_claims, &names);
        }
        let keys = self.keys.current();
        let key = keys.active(subject.client.id_token_alg)?;
        Ok(key.sign_json(&claims, None)?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{ApplicationType, ClientAuthMethod, GrantType};
    use chrono::DateTime;
    use pforte_crypto::SigningAlg;
    use serde_json::json;

    fn client(alg: SigningAlg) -> Client {
        Client {
            client_id: "portal".into(),
            name: None,
            secret_digest: None,
            auth_method: ClientAuthMethod::ClientSecretBasic,
            jwks: None,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            application_type: ApplicationType::Web,
            require_par: false,
            require_pkce: false,
            grant_types: vec![GrantType::AuthorizationCode],
            extra_scopes: vec![],
            id_token_alg: alg,
            default_acr_values: Vec::new(),
            minimum_acr: None,
            brand: None,
            logout: Default::default(),
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn oidc_core_2_id_token_carries_protocol_claims_and_at_hash() {
        let client = client(SigningAlg::RS256);
        let account = AccountId::new();
        let auth = AuthContext {
            auth_time: DateTime::from_timestamp(900, 0).unwrap(),
            acr: "loa-low".into(),
            amr: vec!["pwd".into()],
            sid: Some("sid-1".into()),
        };
        let subject = IdTokenSubject {
            client: &client,
            account,
            auth: &auth,
            nonce: Some("n-0S6_WzA2Mj"),
            scope: "openid",
            claims_request: None,
            access_token: "jHkWEdUXMU1BwAsC4vtUsZwnNpsqkLoAjmQqqQVZbXy",
        };
        let claims = id_token_claims("https://id.example.test", &subject, 1_000, 300);
        assert_eq!(
            Value::Object(claims),
            json!({
                "iss": "https://id.example.test",
                "sub": account.to_string(),
                "aud": "portal",
                "exp": 1_300,
                "iat": 1_000,
                "auth_time": 900,
                "nonce": "n-0S6_WzA2Mj",
                "acr": "loa-low",
                "amr": ["pwd"],
                "sid": "sid-1",
                "at_hash": "5_-JRQiLUCQoFMKqVTL8jQ",
            })
        );
    }

    #[test]
    fn oidc_core_12_2_no_nonce_and_no_sid_when_absent() {
        let client = client(SigningAlg::EdDSA);
        let auth = AuthContext {
            auth_time: DateTime::from_timestamp(900, 0).unwrap(),
            acr: "loa-low".into(),
            amr: vec![],
            sid: None,
        };
        let subject = IdTokenSubject {
            client: &client,
            account: AccountId::new(),
            auth: &auth,
            nonce: None,
            scope: "openid",
            claims_request: None,
            access_token: "x",
        };
        let claims = id_token_claims("https://id.example.test", &subject, 1_000, 300);
        assert!(!claims.contains_key("nonce"));
        assert!(!claims.contains_key("sid"));
        // EdDSA: the left half of SHA-512.
        assert_eq!(claims["at_hash"], oidc_hash(SigningAlg::EdDSA, "x"));
    }
}
