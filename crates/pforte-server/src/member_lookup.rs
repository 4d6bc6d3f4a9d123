//! The insurer's member lookup over HTTP (`[members] lookup_url`),
//! implementing [`pforte_identity::member::lookup::MemberLookup`].
//!
//! Request: `POST lookup_url` with `Content-Type: application/json`, the
//! configured `Authorization` header and `{"kvnr": "A123456780"}`.
//! Answer: `200` with `{"member": {…}}` (the import columns,
//! docs/integration/ident.md) or `{"member": null}`, or `404`: not a member.
//! Anything else, and no answer within `lookup_timeout_ms`, is "unavailable":
//! registration then asks the user to try again later.

use crate::config::MembersSettings;
use async_trait::async_trait;
use pforte_identity::member::lookup::{LookupUnavailable, MemberLookup, MemberRecord};
use pforte_policy::Kvnr;
use serde::Deserialize;
use std::time::Duration;

/// The answer: `member` must be there (`null` for "not a member"); anything
/// else beside it makes the answer unusable, so a changed interface is noticed
/// instead of being read as "not a member".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    #[serde(deserialize_with = "present")]
    member: Option<MemberRecord>,
}

/// Deserialises an `Option` whose key must be present (serde otherwise
/// treats a missing `Option` as `None`).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<MemberRecord>, D::Error> {
    Option::<MemberRecord>::deserialize(deserializer)
}

/// The configured lookup.
pub struct HttpMemberLookup {
    url: reqwest::Url,
    authorization: Option<reqwest::header::HeaderValue>,
    http: reqwest::Client,
}

impl std::fmt::Debug for HttpMemberLookup {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("HttpMemberLookup")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl HttpMemberLookup {
    /// `None` when no `lookup_url` is configured.
    pub fn from_settings(settings: &MembersSettings) -> Result<Option<Self>, String> {
        let Some(url) = &settings.lookup_url else {
            return Ok(None);
        };
        let url =
            reqwest::Url::parse(url).map_err(|error| format!("members.lookup_url: {error}"))?;
        let authorization = settings
            .lookup_authorization
            .as_deref()
            .map(|value| {
                let mut header = reqwest::header::HeaderValue::from_str(value)
                    .map_err(|_| "members.lookup_authorization: not a valid header value")?;
                header.set_sensitive(true);
                Ok::<_, String>(header)
            })
            .transpose()?;
        crate::app::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.lookup_timeout_ms.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| format!("members: cannot build the HTTP client: {error}"))?;
        Ok(Some(Self {
            url,
            authorization,
            http,
        }))
    }
}

#[async_trait]
impl MemberLookup for HttpMemberLookup {
    async fn lookup(&self, kvnr: &Kvnr) -> Result<Option<MemberRecord>, LookupUnavailable> {
        let mut request = self
            .http
            .post(self.url.clone())
            .json(&serde_json::json!({ "kvnr": kvnr.as_str() }));
        if let Some(authorization) = &self.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, authorization.clone());
        }
        let response = request.send().await.map_err(|error| {
            let why = if error.is_timeout() {
                "timeout".to_owned()
            } else {
                error.to_string()
            };
            tracing::warn!(error = %why, "member lookup failed");
            LookupUnavailable(why)
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            tracing::warn!(%status, "member lookup answered with an error status");
            return Err(LookupUnavailable(format!("status {status}")));
        }
        let answer: Answer = response.json().await.map_err(|error| {
            tracing::warn!(%error, "member lookup answer is not the documented JSON");
            LookupUnavailable(format!("answer unusable: {error}"))
        })?;
        Ok(answer.member)
    }
}

#[cfg(test)]
#[path = "member_lookup_tests.rs"]
mod tests;
