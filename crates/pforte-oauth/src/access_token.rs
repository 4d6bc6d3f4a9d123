//! JWT access tokens (RFC 9068): minted at the token endpoint, verified at
//! userinfo, introspection and revocation.
//!
//! Claims of every access token:
//! - `iss`, `sub`, `client_id`, `iat`, `exp`, `jti`, `scope` (RFC 9068 2.2);
//! - `aud` (RFC 9068 2.2, 3): the client id, and additionally the userinfo
//!   endpoint URL when `openid` was granted, because userinfo is the one
//!   resource server this provider runs itself and checks its audience there
//!   (ASVS 9.2.3). One audience is a string, several an array (RFC 7519 4.1.3);
//! - `auth_time`, `acr`, `amr` when a user authorized the grant (RFC 9068 2.2.1);
//! - `grant_id` (private): the grant the token was issued from, so revoking the
//!   grant (code reuse, refresh token reuse or revocation, RFC 9700 4.14) stops
//!   the token at userinfo and introspection before it expires;
//! - `userinfo_claims` (private, only when non-empty): the claim names the
//!   `claims` request asked for at userinfo (OIDC Core 5.5). The access token is
//!   the only thing userinfo sees, so the request travels inside it.
//!
//! The header carries `typ: at+jwt` (RFC 9068 2.1); verification insists on it,
//! so an ID token is never accepted as an access token (ASVS 9.2.2).

use crate::config::paths;
use crate::error::OAuthError;
use crate::model::AuthContext;
use crate::provider::Provider;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use pforte_crypto::SigningKey;
use serde_json::{Map, Value};

/// The JOSE `typ` of RFC 9068 access tokens.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// The private claim naming the grant.
pub const GRANT_ID_CLAIM: &str = "grant_id";
/// The private claim listing claims requested for userinfo.
pub const USERINFO_CLAIMS_CLAIM: &str = "userinfo_claims";

/// What an access token is issued for.
#[derive(Debug, Clone)]
pub(crate) struct AccessTokenGrant<'a> {
    pub client_id: &'a str,
    /// The account id for user grants, the client id for client_credentials.
    pub subject: &'a str,
    /// The granted scope, space-separated.
    pub scope: &'a str,
    pub grant_id: Option<&'a str>,
    pub auth: Option<&'a AuthContext>,
    pub userinfo_claims: &'a [&'static str],
}

/// An access token as verified by [`Provider::check_access_token`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VerifiedAccessToken {
    pub jti: String,
    pub client_id: String,
    pub subject: String,
    pub scope: String,
    pub grant_id: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub audience: Value,
    pub userinfo_claims: Vec<String>,
    /// The authentication behind a user grant (RFC 9068 2.2.1), for
    /// introspection (RFC 9470 6.2); `None` for client_credentials.
    pub auth: Option<TokenAuth>,
}

/// `auth_time`, `acr` and `amr` as an access token carries them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TokenAuth {
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
}

impl TokenAuth {
    fn from_claims(claims: &Map<String, Value>) -> Option<Self> {
        Some(Self {
            auth_time: claims.get("auth_time")?.as_i64()?,
            acr: string_claim(claims, "acr")?,
            amr: claims
                .get("amr")
                .and_then(Value::as_array)
                .map(|methods| {
                    methods
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

impl VerifiedAccessToken {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|scope| !scope.is_empty())
    }

    pub fn has_audience(&self, audience: &str) -> bool {
        match &self.audience {
            Value::String(single) => single == audience,
            Value::Array(many) => many.iter().any(|value| value.as_str() == Some(audience)),
            _ => false,
        }
    }

    pub fn expiry(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.expires_at, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// The outcome of checking a presented access token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AccessTokenCheck {
    Valid(Box<VerifiedAccessToken>),
    /// Not ours, tampered, expired or revoked; the reason is for
    /// `error_description` and says nothing about our keys.
    Invalid(&'static str),
}

/// Random `jti` (RFC 7519 4.1.7): 128 bits, base64url.
fn new_jti() -> String {
    URL_SAFE_NO_PAD.encode(pforte_crypto::random::random_bytes::<16>())
}

/// The RFC 9068 claim set (pure, for unit tests and the minting below).
pub(crate) fn access_token_claims(
    issuer: &str,
    grant: &AccessTokenGrant<'_>,
    now: i64,
    ttl_seconds: i64,
    jti: String,
) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("iss".into(), Value::from(issuer));
    claims.insert("sub".into(), Value::from(grant.subject));
    let openid = grant.scope.split(' ').any(|scope| scope == "openid");
    let audience = if openid {
        Value::from(vec![
            grant.client_id.to_owned(),
            format!("{issuer}{}", paths::USERINFO),
        ])
    } else {
        Value::from(grant.client_id)
    };
    claims.insert("aud".into(), audience);
    claims.insert("client_id".into(), Value::from(grant.client_id));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("exp".into(), Value::from(now.saturating_add(ttl_seconds)));
    claims.insert("jti".into(), Value::from(jti));
    claims.insert("scope".into(), Value::from(grant.scope));
    if let Some(auth) = grant.auth {
        claims.insert("auth_time".into(), Value::from(auth.auth_time.timestamp()));
        claims.insert("acr".into(), Value::from(auth.acr.as_str()));
        claims.insert("amr".into(), Value::from(auth.amr.clone()));
    }
    if let Some(grant_id) = grant.grant_id {
        claims.insert(GRANT_ID_CLAIM.into(), Value::from(grant_id));
    }
    if !grant.userinfo_claims.is_empty() {
        claims.insert(
            USERINFO_CLAIMS_CLAIM.into(),
            Value::from(grant.userinfo_claims.to_vec()),
        );
    }
    claims
}

/// Whether a presented token has the shape of a compact JWS. Our refresh tokens
/// are base64url without dots, so the shape alone tells the two kinds apart and
/// a wrong `token_type_hint` (RFC 7009 2.1, RFC 7662 2.1) costs nothing.
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|byte| *byte == b'.').count() == 2
}

/// The `kid` of a compact JWS header, read without verifying anything: it only
/// chooses which of our keys to verify with.
fn header_kid(token: &str) -> Option<String> {
    let header_b64 = token.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header_b64).ok()?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name)?.as_str().map(str::to_owned)
}

/// Verifies signature, `typ`, `iss` and expiry of an access token (pure: the
/// key lookup and the time are passed in). Revocation is checked by the caller.
pub(crate) fn verify_access_token(
    token: &str,
    key_by_kid: impl Fn(&str) -> Option<SigningKey>,
    issuer: &str,
    now: i64,
) -> Result<VerifiedAccessToken, &'static str> {
    const NOT_OURS: &str = "the access token is not valid";
    let kid = header_kid(token).ok_or(NOT_OURS)?;
    let key = key_by_kid(&kid).ok_or(NOT_OURS)?;
    let verified = key.verify_own(token).map_err(|_| NOT_OURS)?;
    if verified.header.get("typ").and_then(Value::as_str) != Some(ACCESS_TOKEN_TYP) {
        return Err("the token is not an access token");
    }
    let claims = verified.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(NOT_OURS);
    }
    let expires_at = claims.get("exp").and_then(Value::as_i64).ok_or(NOT_OURS)?;
    if expires_at <= now {
        return Err("the access token has expired");
    }
    let auth = TokenAuth::from_claims(&claims);
    Ok(VerifiedAccessToken {
        auth,
        jti: string_claim(&claims, "jti").ok_or(NOT_OURS)?,
        client_id: string_claim(&claims, "client_id").ok_or(NOT_OURS)?,
        subject: string_claim(&claims, "sub").ok_or(NOT_OURS)?,
        scope: string_claim(&claims, "scope").unwrap_or_default(),
        grant_id: string_claim(&claims, GRANT_ID_CLAIM),
        issued_at: claims.get("iat").and_then(Value::as_i64).unwrap_or(0),
        expires_at,
        audience: claims.get("aud").cloned().unwrap_or(Value::Null),
        userinfo_claims: claims
            .get(USERINFO_CLAIMS_CLAIM)
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

impl Provider {
    /// Signs a new access token with the active key of
    /// `config.access_token_alg`. Returns the token and its `expires_in`.
    pub(crate) fn mint_access_token(
        &self,
        grant: &AccessTokenGrant<'_>,
    ) -> Result<(String, u64), OAuthError> {
        let ttl = self.config.access_token_ttl.as_secs();
        let claims = access_token_claims(
            &self.config.issuer,
            grant,
            self.clock.now().timestamp(),
            i64::try_from(ttl).unwrap_or(i64::MAX),
            new_jti(),
        );
        let keys = self.keys.current();
        let key = keys.active(self.config.access_token_alg)?;
        let token = key.sign_json(&claims, Some(ACCESS_TOKEN_TYP))?;
        Ok((token, ttl))
    }

    /// Verifies an access token and checks that neither it (RFC 7009) nor its
    /// grant has been revoked.
    pub(crate) async fn check_access_token(
        &self,
        token: &str,
    ) -> Result<AccessTokenCheck, OAuthError> {
        let keys = self.keys.current();
        let verified = match verify_access_token(
            token,
            |kid| keys.by_kid(kid).cloned(),
            &self.config.issuer,
            self.clock.now().timestamp(),
        ) {
            Ok(verified) => verified,
            Err(reason) => return Ok(AccessTokenCheck::Invalid(reason)),
        };
        if self
            .ports
            .grants
            .is_access_token_revoked(&verified.jti)
            .await?
        {
            return Ok(AccessTokenCheck::Invalid(
                "the access token has been revoked",
            ));
        }
        if let Some(grant_id) = verified.grant_id.as_deref() {
            let grant = self.ports.grants.get_grant(grant_id).await?;
            if grant.is_none_or(|grant| grant.revoked_at.is_some()) {
                return Ok(AccessTokenCheck::Invalid(
                    "the access token has been revoked",
                ));
            }
        }
        Ok(AccessTokenCheck::Valid(Box::new(verified)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pforte_crypto::SigningAlg;
    use serde_json::json;

    const ISSUER: &str = "https://id.example.test";

    fn user_grant<'a>(auth: &'a AuthContext, scope: &'a str) -> AccessTokenGrant<'a> {
        AccessTokenGrant {
            client_id: "portal",
            subject: "0190a0a0-0000-7000-8000-000000000001",
            scope,
            grant_id: Some("g1"),
            auth: Some(auth),
            userinfo_claims: &["email"],
        }
    }

    fn auth() -> AuthContext {
        AuthContext {
            auth_time: DateTime::from_timestamp(1_000, 0).unwrap(),
            acr: "loa-low".into(),
            amr: vec!["pwd".into()],
            sid: Some("s1".into()),
        }
    }

    #[test]
    fn rfc9068_2_2_user_token_carries_required_and_authentication_claims() {
        let auth = auth();
        let claims = access_token_claims(
            ISSUER,
            &user_grant(&auth, "openid api"),
            2_000,
            300,
            "j1".into(),
        );
        assert_eq!(
            Value::Object(claims),
            json!({
                "iss": ISSUER,
                "sub": "0190a0a0-0000-7000-8000-000000000001",
                "aud": ["portal", "https://id.example.test/userinfo"],
                "client_id": "portal",
                "iat": 2_000,
                "exp": 2_300,
                "jti": "j1",
                "scope": "openid api",
                "auth_time": 1_000,
                "acr": "loa-low",
                "amr": ["pwd"],
                "grant_id": "g1",
                "userinfo_claims": ["email"],
            })
        );
    }

    #[test]
    fn rfc9068_2_2_client_token_has_a_single_audience_and_no_user_claims() {
        let grant = AccessTokenGrant {
            client_id: "batch",
            subject: "batch",
            scope: "api",
            grant_id: None,
            auth: None,
            userinfo_claims: &[],
        };
        let claims = access_token_claims(ISSUER, &grant, 10, 60, "j".into());
        assert_eq!(claims["aud"], "batch");
        for absent in ["auth_time", "acr", "amr", "grant_id", "userinfo_claims"] {
            assert!(!claims.contains_key(absent), "{absent}");
        }
    }

    fn key() -> SigningKey {
        SigningKey::generate(SigningAlg::ES256, "k1".into()).unwrap()
    }

    #[test]
    fn rfc9068_4_signed_token_verifies_and_exposes_its_claims() {
        let key = key();
        let auth = auth();
        let claims = access_token_claims(
            ISSUER,
            &user_grant(&auth, "openid"),
            2_000,
            300,
            "j1".into(),
        );
        let token = key.sign_json(&claims, Some(ACCESS_TOKEN_TYP)).unwrap();
        let lookup = |kid: &str| (kid == "k1").then(|| key.clone());
        let verified = verify_access_token(&token, lookup, ISSUER, 2_299).unwrap();
        assert_eq!(verified.jti, "j1");
        assert_eq!(verified.grant_id.as_deref(), Some("g1"));
        assert_eq!(verified.userinfo_claims, ["email"]);
        assert!(verified.has_audience("https://id.example.test/userinfo"));
        assert!(!verified.has_audience("other"));
        assert_eq!(
            verify_access_token(&token, lookup, ISSUER, 2_300),
            Err("the access token has expired")
        );
        assert!(verify_access_token(&token, lookup, "https://other.test", 2_000).is_err());
        assert!(verify_access_token(&token, |_| None, ISSUER, 2_000).is_err());
    }

    #[test]
    fn asvs_9_2_2_a_token_without_at_jwt_typ_is_refused() {
        let key = key();
        let auth = auth();
        let claims = access_token_claims(ISSUER, &user_grant(&auth, "openid"), 0, 300, "j".into());
        let id_token_like = key.sign_json(&claims, None).unwrap();
        assert_eq!(
            verify_access_token(&id_token_like, |_| Some(key.clone()), ISSUER, 1),
            Err("the token is not an access token")
        );
        assert!(verify_access_token("garbage", |_| Some(key.clone()), ISSUER, 1).is_err());
    }
}
