//! [`Browser`]: an HTTP client with a cookie jar for one host that never follows
//! redirects by itself, so tests see every hop (and every `Location`).

use crate::html::{self, Form};
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// A response, read completely.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `Location` header resolved against the page URL.
    pub fn location(&self) -> Option<String> {
        let location = self.header("location")?;
        url::Url::parse(&self.url)
            .ok()?
            .join(location)
            .ok()
            .map(String::from)
    }

    /// The forms of the page.
    pub fn forms(&self) -> Vec<Form> {
        html::forms(&self.body)
    }

    /// The first form that has a POST method.
    pub fn post_form(&self) -> Option<Form> {
        self.forms().into_iter().find(|form| form.method == "post")
    }

    /// The text of the element with this `id`.
    pub fn text_by_id(&self, id: &str) -> Option<String> {
        html::text_by_id(&self.body, id)
    }

    /// The text of the first element with `role="alert"`.
    pub fn alert(&self) -> Option<String> {
        html::tags(&self.body)
            .into_iter()
            .find(|tag| tag.attr("role") == Some("alert"))
            .map(|tag| html::inner_text(&self.body, &tag))
    }

    /// The `lang` attribute of `<html>`.
    pub fn lang(&self) -> Option<String> {
        html::tags(&self.body)
            .into_iter()
            .find(|tag| tag.name == "html")
            .and_then(|tag| tag.attr("lang").map(str::to_owned))
    }

    /// The query parameters of the `Location` header.
    pub fn location_params(&self) -> BTreeMap<String, String> {
        self.location()
            .and_then(|location| url::Url::parse(&location).ok())
            .map(|url| url.query_pairs().into_owned().collect())
            .unwrap_or_default()
    }
}

/// A cookie-keeping client (cookies of one host; attributes other than
/// `Max-Age=0` are not interpreted).
#[derive(Debug)]
pub struct Browser {
    client: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
    accept_language: Option<String>,
}

/// Why a request failed before a response arrived.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("form: {0}")]
    Form(String),
}

impl Browser {
    pub fn new() -> Result<Self, BrowserError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            cookies: Mutex::new(BTreeMap::new()),
            accept_language: None,
        })
    }

    /// Sends `Accept-Language` with every request.
    pub fn with_language(mut self, accept_language: &str) -> Self {
        self.accept_language = Some(accept_language.to_owned());
        self
    }

    /// The value of a cookie in the jar.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar().get(name).cloned()
    }

    /// Puts a cookie into the jar (as if a response had set it).
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar().insert(name.to_owned(), value.to_owned());
    }

    pub fn clear_cookies(&self) {
        self.jar().clear();
    }

    fn jar(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.cookies.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn decorate(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let cookie_header = self
            .jar()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie_header.is_empty() {
            request = request.header(header::COOKIE, cookie_header);
        }
        if let Some(language) = &self.accept_language {
            request = request.header(header::ACCEPT_LANGUAGE, language);
        }
        request
    }

    async fn send(
        &self,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Page, BrowserError> {
        let response = self.decorate(request).send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.store_cookies(headers.get_all(header::SET_COOKIE).iter());
        let body = response.text().await?;
        Ok(Page {
            url: url.to_owned(),
            status,
            headers,
            body,
        })
    }

    fn store_cookies<'a>(&self, values: impl Iterator<Item = &'a HeaderValue>) {
        let mut jar = self.jar();
        for value in values.filter_map(|value| value.to_str().ok()) {
            let mut parts = value.split(';');
            let Some((name, cookie_value)) = parts.next().and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            let expired = parts.any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
            if expired || cookie_value.is_empty() {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), cookie_value.trim().to_owned());
            }
        }
    }

    pub async fn get(&self, url: &str) -> Result<Page, BrowserError> {
        self.send(url, self.client.get(url)).await
    }

    /// A GET with extra headers.
    pub async fn get_with(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Page, BrowserError> {
        let mut request = self.client.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(url, request).await
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    pub async fn post_form(
        &self,
        url: &str,
        pairs: &[(String, String)],
    ) -> Result<Page, BrowserError> {
        self.send(url, self.client.post(url).form(pairs)).await
    }

    /// A form POST with extra headers (e.g. `Authorization`).
    pub async fn post_form_with(
        &self,
        url: &str,
        pairs: &[(String, String)],
        headers: &[(&str, &str)],
    ) -> Result<Page, BrowserError> {
        let mut request = self.client.post(url).form(pairs);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(url, request).await
    }

    /// A POST with a raw body of the given content type.
    pub async fn post_raw(
        &self,
        url: &str,
        content_type: &str,
        body: &str,
    ) -> Result<Page, BrowserError> {
        let request = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.to_owned());
        self.send(url, request).await
    }

    /// Submits `form` of `page` with the given button pressed.
    pub async fn submit(
        &self,
        page: &Page,
        form: &Form,
        button: Option<(&str, &str)>,
    ) -> Result<Page, BrowserError> {
        let base =
            url::Url::parse(&page.url).map_err(|error| BrowserError::Form(error.to_string()))?;
        let action = base
            .join(form.action.as_deref().unwrap_or(""))
            .map_err(|error| BrowserError::Form(error.to_string()))?;
        self.post_form(action.as_str(), &form.submission(button))
            .await
    }

    /// Follows the `Location` of a redirect with a GET.
    pub async fn follow(&self, page: &Page) -> Result<Page, BrowserError> {
        let location = page
            .location()
            .ok_or_else(|| BrowserError::Form(format!("{} has no Location", page.url)))?;
        self.get(&location).await
    }
}
