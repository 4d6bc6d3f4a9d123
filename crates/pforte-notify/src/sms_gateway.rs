//! [`HttpSmsGateway`]: SMS through a provider's HTTP API (R-MF-4: SMS-TAN).
//!
//! Gateways differ in URL, authentication and body, so all three are
//! settings: the body is a template with the placeholders `{to}`, `{text}`
//! and `{sender}`, whose values are JSON-string-escaped when the content type
//! is JSON and form-encoded otherwise, so that no value can break out of its
//! field. Any answer outside 2xx is a failure carrying the status (never the
//! answer's body, which might echo the code). The request has a timeout, so a
//! hanging gateway cannot hold a login page.
//!
//! TLS uses rustls with the ring provider (DESIGN.md §6) and the platform's
//! trust store.

use crate::SetupError;
use crate::texts;
use async_trait::async_trait;
use base64::Engine;
use pforte_identity::factor::OutboundMessage;
use pforte_identity::ports::{Notifier, NotifyError};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How the gateway authenticates Pforte.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmsGatewayAuth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer { token: String },
    /// `Authorization: Basic …` (RFC 7617).
    Basic { username: String, password: String },
}

impl std::fmt::Debug for SmsGatewayAuth {
    /// Never prints a token or password.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => formatter.write_str("None"),
            Self::Bearer { .. } => formatter.write_str("Bearer(***)"),
            Self::Basic { username, .. } => write!(formatter, "Basic({username}, ***)"),
        }
    }
}

/// The JSON body used when no template is configured.
pub const DEFAULT_JSON_BODY: &str = r#"{"to":"{to}","text":"{text}","sender":"{sender}"}"#;
/// The form body used when no template is configured and the content type
/// is not JSON.
pub const DEFAULT_FORM_BODY: &str = "to={to}&text={text}&sender={sender}";

/// SMS gateway settings, as the server's `[notify.sms]` section holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsGatewaySettings {
    /// The URL the message is POSTed to.
    pub url: String,
    #[serde(default)]
    pub auth: SmsGatewayAuth,
    /// `application/json` (default) or e.g.
    /// `application/x-www-form-urlencoded`.
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// The body with `{to}`, `{text}` and `{sender}`; default
    /// [`DEFAULT_JSON_BODY`] or [`DEFAULT_FORM_BODY`] by content type.
    #[serde(default)]
    pub body: Option<String>,
    /// The sender name or number shown on the phone (alphanumeric senders
    /// have at most 11 characters).
    #[serde(default)]
    pub sender: String,
    /// Seconds for the whole request.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_content_type() -> String {
    "application/json".into()
}

fn default_timeout_secs() -> u64 {
    10
}

/// Sends the short text of a message to a phone number through the gateway.
#[derive(Debug, Clone)]
pub struct HttpSmsGateway {
    client: reqwest::Client,
    url: reqwest::Url,
    authorization: Option<HeaderValue>,
    content_type: HeaderValue,
    json: bool,
    body: String,
    sender: String,
}

impl HttpSmsGateway {
    /// Checks the settings and builds the HTTP client.
    ///
    /// Installs rustls' ring provider as the process default when none is
    /// installed yet (the server does so at start; this keeps a test or a
    /// tool that builds only the gateway from failing).
    pub fn new(settings: &SmsGatewaySettings) -> Result<Self, SetupError> {
        let invalid = |field, reason: String| SetupError::Invalid { field, reason };
        let url = reqwest::Url::parse(&settings.url)
            .map_err(|err| invalid("sms.url", format!("not a URL: {err}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(invalid("sms.url", "must be an http(s) URL".into()));
        }
        let content_type = HeaderValue::from_str(&settings.content_type)
            .map_err(|_| invalid("sms.content_type", "not a header value".into()))?;
        let json = is_json(&settings.content_type);
        let body = settings.body.clone().unwrap_or_else(|| {
            if json {
                DEFAULT_JSON_BODY.into()
            } else {
                DEFAULT_FORM_BODY.into()
            }
        });
        if !body.contains("{to}") || !body.contains("{text}") {
            return Err(invalid(
                "sms.body",
                "must contain the placeholders {to} and {text}".into(),
            ));
        }
        let authorization = match &settings.auth {
            SmsGatewayAuth::None => None,
            SmsGatewayAuth::Bearer { token } => Some(format!("Bearer {token}")),
            SmsGatewayAuth::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
        }
        .map(|value| {
            HeaderValue::from_str(&value)
                .map(|mut value| {
                    value.set_sensitive(true);
                    value
                })
                .map_err(|_| invalid("sms.auth", "not usable in a header".into()))
        })
        .transpose()?;
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| invalid("sms", format!("cannot build the HTTP client: {err}")))?;
        Ok(Self {
            client,
            url,
            authorization,
            content_type,
            json,
            body,
            sender: settings.sender.clone(),
        })
    }

    /// The request body for a message (public for tests and previews).
    pub fn request_body(&self, message: &OutboundMessage) -> Result<String, NotifyError> {
        let text = texts::render(message)
            .map_err(|err| NotifyError::Failed(err.to_string()))?
            .body;
        let escape = |value: &str| {
            if self.json {
                json_escape(value)
            } else {
                form_escape(value)
            }
        };
        Ok(fill_body(
            &self.body,
            &[
                ("{to}", escape(&message.to)),
                ("{text}", escape(&text)),
                ("{sender}", escape(&self.sender)),
            ],
        ))
    }
}

#[async_trait]
impl Notifier for HttpSmsGateway {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        let body = self.request_body(message)?;
        let mut request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, self.content_type.clone())
            .body(body);
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        // The URL may carry an API key: errors are reported without it.
        let response = request
            .send()
            .await
            .map_err(|err| NotifyError::Failed(format!("SMS gateway: {}", err.without_url())))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(NotifyError::Failed(format!(
                "SMS gateway answered {status}"
            )))
        }
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// The value as the inside of a JSON string (without the quotes).
fn json_escape(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// The value as `application/x-www-form-urlencoded` (WHATWG URL §5).
fn form_escape(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Replaces the placeholders in one pass, so that a value containing
/// `{text}` is not itself replaced.
fn fill_body(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 160);
    let mut rest = template;
    'outer: while !rest.is_empty() {
        for (placeholder, value) in values {
            if let Some(after) = rest.strip_prefix(placeholder) {
                out.push_str(value);
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_cannot_leave_their_string() {
        assert_eq!(json_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(form_escape("+49 151&x=ü"), "%2B49+151%26x%3D%C3%BC");
    }

    #[test]
    fn placeholders_are_replaced_once_not_inside_values() {
        let body = fill_body(
            "{to}|{text}|{sender}",
            &[
                ("{to}", "{text}".into()),
                ("{text}", "t".into()),
                ("{sender}", "s".into()),
            ],
        );
        assert_eq!(body, "{text}|t|s");
    }

    #[test]
    fn content_types_with_parameters_are_recognised() {
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/vnd.gateway+json"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
