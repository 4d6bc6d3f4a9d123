//! Brand assets, the language switch and the theme preview (R-OP-2).
//!
//! - `GET /assets/brand/{brand}/{file}`: a brand's `pforte.css` (base CSS,
//!   the brand's variables and its `theme.css`) and its logo. Pages link
//!   them with `?v=<content hash>`, so they are cached for a year and a
//!   changed file gets a new URL.
//! - The page-address layer hands each page its own address (for the
//!   switch links) and turns `?lang=xx` on a GET into the language cookie
//!   and a redirect to the same page without `lang`.
//! - `GET /theme-preview` and `/theme-preview/{brand}/{lang}/{template}`
//!   (only with `[ui] theme_preview = true`): every template of every brand
//!   in every language, rendered with its fixture, for the accessibility
//!   tests and the screenshots.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use crate::cookies::{self, CookieKind};
use crate::i18n::{self, SUPPORTED};
use crate::pages::{self, Asset, Look};
use crate::respond::{self, PAGE_HEADER};
use crate::security;
use crate::state::AppState;

/// How long the language choice is remembered.
pub const LANGUAGE_COOKIE_TTL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Where the preview index is served.
pub const PREVIEW_PATH: &str = "/theme-preview";

/// A file with its content type, cached for a year (its URL names its
/// content hash).
pub fn asset(asset: Asset) -> Response {
    let mut response = asset.bytes.as_ref().clone().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    response
}

/// `GET /assets/brand/{brand}/{file}`: only `pforte.css` and the brand's
/// logo file exist; every other name (and every unsafe one) is a 404.
pub async fn brand_asset(
    State(state): State<AppState>,
    Path((brand, file)): Path<(String, String)>,
) -> Response {
    if !pages::is_brand_name(&brand) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.pages.brand_asset(&brand, &file) {
        Some(found) => asset(found),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The `lang` value of a query string, if it names a language we offer.
fn switch_in(query: &str) -> Option<&'static str> {
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("lang="))
        .find_map(i18n::chosen)
}

/// `query` without its `lang` parameters.
fn without_lang(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("lang=") && *pair != "lang")
        .collect::<Vec<_>>()
        .join("&")
}

/// The page-address layer: sets [`PAGE_HEADER`] to the request's own path
/// and query (without `lang`), replacing whatever the browser sent; and
/// answers a GET with a supported `lang=` by remembering it in the language
/// cookie and sending the browser back to the same address without it
/// (R-OP-2: the switch works as a plain link, without JavaScript).
pub async fn page_address(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let rest = without_lang(&query);
    let address = if rest.is_empty() {
        path.clone()
    } else {
        format!("{path}?{rest}")
    };
    if request.method() == axum::http::Method::GET
        && let Some(code) = switch_in(&query)
    {
        let mut response = respond::see_other(&address);
        if let Some(cookie) = cookies::set(
            CookieKind::Language,
            code,
            state.settings.secure_cookies,
            LANGUAGE_COOKIE_TTL,
        ) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        return response;
    }
    let headers = request.headers_mut();
    headers.remove(PAGE_HEADER);
    if let Ok(value) = HeaderValue::from_str(&address) {
        headers.insert(PAGE_HEADER, value);
    }
    next.run(request).await
}

#[derive(serde::Serialize)]
struct PreviewLink {
    brand: String,
    lang: &'static str,
    template: String,
    href: String,
}

/// `GET /theme-preview`: links to every brand × language × template.
pub async fn preview_index(State(state): State<AppState>) -> Response {
    let set = state.pages.set();
    let mut body = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Theme preview</title>\n</head>\n<body>\n<main>\n<h1>Theme preview</h1>\n",
    );
    for brand in set.brand_names() {
        let Some(theme) = set.brand(brand) else {
            continue;
        };
        body.push_str(&format!("<h2>{}</h2>\n<ul>\n", escape(brand)));
        for template in theme.templates().filter(|name| *name != "layout.html") {
            for lang in SUPPORTED {
                let href = format!("{PREVIEW_PATH}/{brand}/{lang}/{template}");
                body.push_str(&format!(
                    "<li><a href=\"{href}\">{} ({lang})</a></li>\n",
                    escape(template),
                    href = escape(&href)
                ));
            }
        }
        body.push_str("</ul>\n");
    }
    body.push_str("</main>\n</body>\n</html>\n");
    respond::html(StatusCode::OK, body, None)
}

/// `GET /theme-preview.json`: the same links as JSON, for test drivers.
pub async fn preview_list(State(state): State<AppState>) -> Response {
    let set = state.pages.set();
    let mut links = Vec::new();
    for brand in set.brand_names() {
        let Some(theme) = set.brand(brand) else {
            continue;
        };
        for template in theme.templates().filter(|name| *name != "layout.html") {
            for lang in SUPPORTED {
                links.push(PreviewLink {
                    brand: brand.to_owned(),
                    lang,
                    template: template.to_owned(),
                    href: format!("{PREVIEW_PATH}/{brand}/{lang}/{template}"),
                });
            }
        }
    }
    respond::json_no_store(StatusCode::OK, &links)
}

/// `GET /theme-preview/{brand}/{lang}/{*template}`: the template rendered
/// with its fixture, under the CSP the real page has.
pub async fn preview_page(
    State(state): State<AppState>,
    Path((brand, lang, template)): Path<(String, String, String)>,
) -> Response {
    let set = state.pages.set();
    let (Some(theme), Some(locale)) = (set.brand(&brand), i18n::chosen(&lang)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if template == "layout.html" || !theme.templates().any(|name| name == template) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let fixture = theme
        .fixture(&template)
        .cloned()
        .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
    let context = match tera::Context::from_serialize(&fixture) {
        Ok(context) => context,
        Err(error) => {
            tracing::error!(%error, template, "theme preview fixture");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let look = Look {
        brand,
        locale,
        page: format!("{PREVIEW_PATH}/{}/{locale}/{template}", theme.name),
    };
    respond::page(
        &state,
        StatusCode::OK,
        &template,
        &look,
        &context,
        preview_csp(&template, &fixture),
    )
}

/// The CSP the real page of `template` is served with.
fn preview_csp(template: &str, fixture: &serde_json::Value) -> Option<String> {
    let text = |key: &str| fixture.get(key).and_then(serde_json::Value::as_str);
    match template {
        "webauthn.html" => Some(security::webauthn_csp(None)),
        "form_post.html" => Some(security::form_post_csp(
            text("nonce").unwrap_or_default(),
            text("action").unwrap_or_default(),
        )),
        "logged_out.html" => {
            let frames: Vec<String> = fixture
                .get("frontchannel_urls")
                .and_then(serde_json::Value::as_array)
                .map(|urls| {
                    urls.iter()
                        .filter_map(|url| url.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Some(security::frontchannel_logout_csp(&frames, text("nonce")))
        }
        _ if fixture
            .get("session_countdown")
            .is_some_and(|value| !value.is_null()) =>
        {
            Some(super::session::countdown_csp())
        }
        _ => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_op_2_the_switch_parameter_is_found_and_removed() {
        assert_eq!(switch_in("interaction=abc&lang=en"), Some("en"));
        assert_eq!(switch_in("lang=fr"), None);
        assert_eq!(switch_in(""), None);
        assert_eq!(
            without_lang("interaction=abc&lang=en&x=1"),
            "interaction=abc&x=1"
        );
    }
}
