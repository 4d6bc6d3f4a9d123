//! Token introspection (RFC 7662).
//!
//! Only confidential clients may introspect ([`crate::client_auth`] refuses
//! public ones here), and a client only ever learns about tokens issued to
//! itself: a token of another client is answered `{"active": false}` exactly
//! like an unknown one, so introspection cannot be used to probe tokens that
//! leaked to a client (RFC 7662 4, "be strict"). A resource server that must
//! introspect tokens of other clients would need its own, explicit permission;
//! none exists yet.
//!
//! `token_type_hint` is read (a repeated one is `invalid_request`) but the
//! token's shape decides where it is looked up, so a wrong hint still finds it
//! (RFC 7662 2.1).
//!
//! Active answers carry `active`, `scope`, `client_id`, `token_type`, `exp`,
//! `iat`, `sub`, `aud`, `iss`, `jti` (access tokens only) and `username` (the
//! subject's `preferred_username`) when a user is involved; then also
//! `auth_time`, `acr` and `amr` of the login behind the grant, so a resource
//! server can demand a level and a fresh login (RFC 9470 6.2; RFC 7662 2.2
//! allows further members). `token_type` is
//! `Bearer` for access tokens (RFC 6749 7.1) and `refresh_token` for refresh
//! tokens, the RFC 7009 hint vocabulary, since no token type is registered for
//! them.

use crate::access_token::{AccessTokenCheck, VerifiedAccessToken, looks_like_jwt};
use crate::client_auth::ClientEndpoint;
use crate::error::OAuthError;
use crate::model::{Client, RefreshToken};
use crate::params::Params;
use crate::provider::Provider;
use pforte_crypto::random::sha256_b64url;
use pforte_types::AccountId;
use serde_json::{Map, Value, json};

fn inactive() -> Value {
    json!({"active": false})
}

impl Provider {
    /// Answers `{"active": false}` for anything unknown, expired, revoked or
    /// issued to another client's grant when the caller may not see it
    /// (RFC 7662 2.2).
    pub async fn introspect(
        &self,
        params: &Params,
        authorization: Option<&str>,
    ) -> Result<serde_json::Value, OAuthError> {
        let client = self
            .authenticate_client(params, authorization, ClientEndpoint::Introspection)
            .await?;
        let token = params.require("token")?;
        let _hint = params.get("token_type_hint")?;
        if looks_like_jwt(token) {
            self.introspect_access_token(&client, token).await
        } else {
            self.introspect_refresh_token(&client, token).await
        }
    }

    async fn introspect_access_token(
        &self,
        client: &Client,
        token: &str,
    ) -> Result<Value, OAuthError> {
        let verified = match self.check_access_token(token).await? {
            AccessTokenCheck::Valid(verified) if verified.client_id == client.client_id => verified,
            _ => return Ok(inactive()),
        };
        let username = match AccountId::parse(&verified.subject) {
            Some(account) if verified.grant_id.is_some() => self.username_of(account).await?,
            _ => None,
        };
        Ok(Value::Object(access_token_answer(
            &self.config.issuer,
            &verified,
            username,
        )))
    }

    async fn introspect_refresh_token(
        &self,
        client: &Client,
        token: &str,
    ) -> Result<Value, OAuthError> {
        let found = self
            .ports
            .grants
            .find_active_refresh_token(&sha256_b64url(token))
            .await?;
        let Some(refresh) = found.filter(|refresh| {
            refresh.client_id == client.client_id && refresh.expires_at > self.clock.now()
        }) else {
            return Ok(inactive());
        };
        let username = self.username_of(refresh.account_id).await?;
        Ok(Value::Object(refresh_token_answer(
            &self.config.issuer,
            &refresh,
            username,
        )))
    }

    async fn username_of(&self, account: AccountId) -> Result<Option<String>, OAuthError> {
        Ok(self
            .ports
            .claims
            .subject_claims(account)
            .await?
            .and_then(|claims| claims.preferred_username))
    }
}

/// The active answer for an access token (pure).
pub(crate) fn access_token_answer(
    issuer: &str,
    token: &VerifiedAccessToken,
    username: Option<String>,
) -> Map<String, Value> {
    let mut answer = Map::new();
    answer.insert("active".into(), Value::Bool(true));
    answer.insert("scope".into(), Value::from(token.scope.as_str()));
    answer.insert("client_id".into(), Value::from(token.client_id.as_str()));
    answer.insert("token_type".into(), Value::from("Bearer"));
    answer.insert("exp".into(), Value::from(token.expires_at));
    answer.insert("iat".into(), Value::from(token.issued_at));
    answer.insert("sub".into(), Value::from(token.subject.as_str()));
    answer.insert("aud".into(), token.audience.clone());
    answer.insert("iss".into(), Value::from(issuer));
    answer.insert("jti".into(), Value::from(token.jti.as_str()));
    if let Some(username) = username {
        answer.insert("username".into(), Value::from(username));
    }
    if let Some(auth) = &token.auth {
        insert_auth(&mut answer, auth.auth_time, &auth.acr, &auth.amr);
    }
    answer
}

/// `auth_time`, `acr`, `amr` of the login behind a user grant (RFC 9470 6.2).
fn insert_auth(answer: &mut Map<String, Value>, auth_time: i64, acr: &str, amr: &[String]) {
    answer.insert("auth_time".into(), Value::from(auth_time));
    answer.insert("acr".into(), Value::from(acr));
    answer.insert("amr".into(), Value::from(amr.to_vec()));
}

/// The active answer for a refresh token (pure).
pub(crate) fn refresh_token_answer(
    issuer: &str,
    token: &RefreshToken,
    username: Option<String>,
) -> Map<String, Value> {
    let mut answer = Map::new();
    answer.insert("active".into(), Value::Bool(true));
    answer.insert("scope".into(), Value::from(token.scope.as_str()));
    answer.insert("client_id".into(), Value::from(token.client_id.as_str()));
    answer.insert("token_type".into(), Value::from("refresh_token"));
    answer.insert("exp".into(), Value::from(token.expires_at.timestamp()));
    answer.insert("iat".into(), Value::from(token.created_at.timestamp()));
    answer.insert("sub".into(), Value::from(token.account_id.to_string()));
    answer.insert("aud".into(), Value::from(token.client_id.as_str()));
    answer.insert("iss".into(), Value::from(issuer));
    if let Some(username) = username {
        answer.insert("username".into(), Value::from(username));
    }
    insert_auth(
        &mut answer,
        token.auth.auth_time.timestamp(),
        &token.auth.acr,
        &token.auth.amr,
    );
    answer
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::access_token::TokenAuth;
    use crate::model::AuthContext;
    use chrono::DateTime;

    #[test]
    fn rfc7662_2_2_rfc9470_6_2_access_token_answer_lists_the_token_metadata_and_login() {
        let token = VerifiedAccessToken {
            jti: "j1".into(),
            client_id: "portal".into(),
            subject: "u1".into(),
            scope: "openid api".into(),
            grant_id: Some("g1".into()),
            issued_at: 100,
            expires_at: 400,
            audience: json!(["portal", "https://id.example.test/userinfo"]),
            userinfo_claims: vec![],
            auth: Some(TokenAuth {
                auth_time: 90,
                acr: "loa-substantial".into(),
                amr: vec!["pwd".into(), "otp".into()],
            }),
        };
        let answer = access_token_answer("https://id.example.test", &token, Some("erika".into()));
        assert_eq!(
            Value::Object(answer),
            json!({
                "active": true,
                "scope": "openid api",
                "client_id": "portal",
                "token_type": "Bearer",
                "exp": 400,
                "iat": 100,
                "sub": "u1",
                "aud": ["portal", "https://id.example.test/userinfo"],
                "iss": "https://id.example.test",
                "jti": "j1",
                "username": "erika",
                "auth_time": 90,
                "acr": "loa-substantial",
                "amr": ["pwd", "otp"],
            })
        );
        let machine = VerifiedAccessToken {
            auth: None,
            ..token
        };
        let answer = access_token_answer("https://id.example.test", &machine, None);
        assert!(!answer.contains_key("acr") && !answer.contains_key("auth_time"));
    }

    #[test]
    fn rfc7662_2_2_refresh_token_answer_has_no_jti_and_its_own_type() {
        let account = AccountId::new();
        let token = RefreshToken {
            token_digest: "d".into(),
            grant_id: "g".into(),
            client_id: "app".into(),
            account_id: account,
            scope: "openid".into(),
            claims_request: None,
            auth: AuthContext {
                auth_time: DateTime::from_timestamp(1, 0).unwrap(),
                acr: "loa-low".into(),
                amr: vec![],
                sid: None,
            },
            created_at: DateTime::from_timestamp(10, 0).unwrap(),
            expires_at: DateTime::from_timestamp(20, 0).unwrap(),
        };
        let answer = refresh_token_answer("https://id.example.test", &token, None);
        assert_eq!(answer["token_type"], "refresh_token");
        assert_eq!(answer["sub"], account.to_string());
        assert_eq!(answer["exp"], 20);
        assert_eq!(answer["iat"], 10);
        assert!(!answer.contains_key("jti"));
        assert!(!answer.contains_key("username"));
        assert_eq!(answer["auth_time"], 1);
        assert_eq!(answer["acr"], "loa-low");
        assert_eq!(answer["amr"], json!([]));
    }
}
