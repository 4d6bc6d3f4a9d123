//! HTTP for the relying parties: an `AsyncHttpClient` for the `openidconnect`
//! crate on reqwest 0.13, and a cookie-keeping user agent that walks the
//! provider's pages the way a browser without JavaScript would.

use super::forms::{self, Form};
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use url::Url;

/// reqwest is built without a default TLS provider; tests only speak plain
/// HTTP to loopback, but the client builder still wants a provider.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A reqwest client that never follows redirects: every redirect is a
/// protocol message the tests look at.
pub fn plain_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Transport failure seen by the relying party library.
#[derive(Debug)]
pub struct TransportError(pub String);

impl std::fmt::Display for TransportError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for TransportError {}

/// The relying party library's HTTP client.
#[derive(Clone)]
pub struct RpHttp {
    client: reqwest::Client,
}

impl Default for RpHttp {
    fn default() -> Self {
        RpHttp {
            client: plain_client(),
        }
    }
}

impl<'c> AsyncHttpClient<'c> for RpHttp {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|error| TransportError(error.to_string()))?;
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|error| TransportError(error.to_string()))?;
            builder
                .body(bytes.to_vec())
                .map_err(|error| TransportError(error.to_string()))
        })
    }
}

/// One HTTP response, read completely.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header resolved against the request URL.
    pub fn location(&self) -> Option<Url> {
        let value = self.headers.get(LOCATION)?.to_str().ok()?;
        self.url.join(value).ok()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }

    pub fn forms(&self) -> Vec<Form> {
        forms::parse_forms(&self.body)
    }

    pub fn is_login_page(&self) -> bool {
        self.status == StatusCode::OK
            && self
                .forms()
                .iter()
                .any(|form| form.has_field("password") && form.has_field("username"))
    }

    pub fn is_consent_page(&self) -> bool {
        self.status == StatusCode::OK
            && self
                .forms()
                .iter()
                .any(|form| form.has_button("decision", "allow"))
    }

    pub fn describe(&self) -> String {
        let excerpt: String = self.body.chars().take(600).collect();
        format!(
            "{} {} (location: {:?})\n{}",
            self.status,
            self.url,
            self.header("location"),
            excerpt
        )
    }
}

/// Where a walk through the provider's pages ended.
#[derive(Debug)]
pub enum Arrival {
    /// A redirect that leaves the provider (to the relying party).
    Redirect(Url),
    /// An auto-submitting form that posts to the relying party (form_post).
    FormPost {
        action: Url,
        params: Vec<(String, String)>,
    },
    /// A page of the provider that needs the user (login, consent, error…).
    Stopped(Page),
}

/// A browser stand-in: keeps cookies for the issuer, never follows redirects
/// on its own, and records every `Set-Cookie` header it saw.
pub struct UserAgent {
    pub http: reqwest::Client,
    issuer: Url,
    jar: Mutex<BTreeMap<String, String>>,
    seen_set_cookie: Mutex<Vec<String>>,
    accept_language: Option<String>,
}

impl UserAgent {
    pub fn new(issuer: &str) -> UserAgent {
        UserAgent {
            http: plain_client(),
            issuer: Url::parse(issuer).unwrap(),
            jar: Mutex::new(BTreeMap::new()),
            seen_set_cookie: Mutex::new(Vec::new()),
            accept_language: None,
        }
    }

    pub fn with_accept_language(mut self, value: &str) -> UserAgent {
        self.accept_language = Some(value.to_owned());
        self
    }

    fn at_issuer(&self, url: &Url) -> bool {
        url.origin() == self.issuer.origin()
    }

    pub fn set_cookie_headers(&self) -> Vec<String> {
        self.seen_set_cookie.lock().unwrap().clone()
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        if jar.is_empty() {
            return None;
        }
        Some(
            jar.iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    fn remember(&self, headers: &HeaderMap) {
        let mut jar = self.jar.lock().unwrap();
        let mut seen = self.seen_set_cookie.lock().unwrap();
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            seen.push(text.to_owned());
            let pair = text.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let expired = text.to_ascii_lowercase().contains("max-age=0");
            if value.trim().is_empty() || expired {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    async fn send(&self, url: Url, builder: reqwest::RequestBuilder) -> Page {
        let mut builder = builder;
        if self.at_issuer(&url)
            && let Some(cookies) = self.cookie_header()
        {
            builder = builder.header("cookie", cookies);
        }
        if let Some(language) = &self.accept_language {
            builder = builder.header("accept-language", language);
        }
        let response = builder.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        self.remember(&headers);
        let body = response.text().await.unwrap_or_default();
        Page {
            url,
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        let url = Url::parse(url).unwrap();
        self.send(url.clone(), self.http.get(url)).await
    }

    pub async fn post_form(&self, url: &str, fields: &[(String, String)]) -> Page {
        let url = Url::parse(url).unwrap();
        self.send(url.clone(), self.http.post(url).form(fields))
            .await
    }

    /// Follows redirects inside the provider until the walk leaves it or a
    /// page needs the user.
    pub async fn follow(&self, page: Page) -> Arrival {
        let mut page = page;
        for _ in 0..20 {
            if page.status.is_redirection() {
                let Some(target) = page.location() else {
                    return Arrival::Stopped(page);
                };
                if !self.at_issuer(&target) {
                    return Arrival::Redirect(target);
                }
                page = self.get(target.as_str()).await;
                continue;
            }
            if page.status == StatusCode::OK
                && let Some(form) = page.forms().into_iter().find(|form| {
                    form.action_url(&page.url)
                        .is_some_and(|action| !self.at_issuer(&action))
                })
                && let Some(action) = form.action_url(&page.url)
            {
                return Arrival::FormPost {
                    action,
                    params: form.fields(),
                };
            }
            return Arrival::Stopped(page);
        }
        Arrival::Stopped(page)
    }

    /// Submits a form of `page` with the given fields added to (or replacing)
    /// its own inputs.
    pub async fn submit(&self, page: &Page, form: &Form, extra: &[(&str, &str)]) -> Page {
        let mut fields = form.fields();
        // A browser sends the clicked button's name and value; without an
        // explicit choice in `extra`, that is the default (first) button.
        if let Some(button) = form.default_button()
            && let Some(name) = button.attr("name")
            && !extra.iter().any(|(extra_name, _)| *extra_name == name)
        {
            fields.push((
                name.to_owned(),
                button.attr("value").unwrap_or("").to_owned(),
            ));
        }
        for (name, value) in extra {
            fields.retain(|(existing, _)| existing != name);
            fields.push(((*name).to_owned(), (*value).to_owned()));
        }
        let action = form
            .action_url(&page.url)
            .unwrap_or_else(|| page.url.clone());
        if form.method.eq_ignore_ascii_case("get") {
            let mut target = action;
            target.query_pairs_mut().extend_pairs(fields);
            self.get(target.as_str()).await
        } else {
            self.post_form(action.as_str(), &fields).await
        }
    }
}
