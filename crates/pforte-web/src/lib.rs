//! The HTTP face of Pforte for users and relying parties.
//!
//! Owns: the axum [`router`], thin protocol handlers over `pforte-oauth`, the
//! login pages (tera templates from `themes/`, German and English), cookies,
//! CSRF protection and security headers. Key types: [`AppState`], [`Pages`].
//!
//! Handlers only translate HTTP to calls of `pforte-oauth` / `pforte-identity`
//! and their results back to responses (DESIGN.md §2); no protocol or policy
//! decision is made here. Must not depend on sea-orm or pforte-store.

pub mod cookies;
pub mod csrf;
pub mod form;
pub mod handlers;
pub mod i18n;
pub mod interaction;
mod page_state;
pub mod pages;
pub mod readiness;
pub mod request_id;
pub mod respond;
pub mod security;
pub mod state;

pub use pages::Pages;
pub use state::{AppState, WebSettings};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use handlers::{
    account, account_delete, account_profile, account_sessions, assets, authorize, consent, demo,
    discovery, enrol, factor, health, ident, introspect, login, logout, par, password_change,
    recovery, register, revoke, session, terms, token, userinfo, webauthn,
};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The largest request body accepted: authorization requests with a `claims`
/// parameter and private_key_jwt assertions fit easily.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the provider, with the security layers applied.
pub fn router(state: AppState) -> Router {
    router_with(state, None)
}

/// [`router`] with further routes (the admin console, mounted by the
/// composition root) inside the same request-id, security-header and
/// body-limit layers. `extra` must not set a fallback.
pub fn router_with(state: AppState, extra: Option<Router>) -> Router {
    let mut routes = Router::new()
        .route("/", get(health::home))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/healthz", get(health::live))
        .route("/favicon.ico", get(health::no_icon))
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::oauth_metadata),
        )
        .route("/jwks", get(discovery::jwks))
        .route(
            "/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/par", post(par::par))
        .route("/token", post(token::token))
        .route(
            "/userinfo",
            get(userinfo::userinfo_get).post(userinfo::userinfo_post),
        )
        .route("/introspect", post(introspect::introspect))
        .route("/revoke", post(revoke::revoke))
        .route("/logout", get(logout::logout_get).post(logout::logout_post))
        .route(
            "/login",
            get(login::login_page_get).post(login::login_submit),
        )
        .route(
            "/password/change",
            get(password_change::password_change_get).post(password_change::password_change_submit),
        )
        .route(
            recovery::PASSWORD_PATH,
            get(recovery::password_forgot_get).post(recovery::password_forgot_submit),
        )
        .route(
            recovery::USERNAME_PATH,
            get(recovery::username_forgot_get).post(recovery::username_forgot_submit),
        )
        .route(
            "/login/factor",
            get(factor::factor_get).post(factor::factor_submit),
        )
        .route(
            "/login/enrol",
            get(enrol::enrol_get).post(enrol::enrol_submit),
        )
        .route("/login/continue", post(enrol::continue_submit))
        .route(
            "/register",
            get(register::register_get).post(register::register_post),
        )
        .route(
            "/register/confirm",
            get(register::confirm_get).post(register::confirm_post),
        )
        .route(
            "/register/invite/{token}",
            get(register::invite_get).post(register::invite_post),
        )
        .route(
            "/register/invite/{token}/confirm",
            post(register::invite_confirm_post),
        )
        .route(
            "/login/activate",
            get(register::activate_get).post(register::activate_post),
        )
        .route(
            "/login/webauthn",
            get(webauthn::webauthn_get).post(webauthn::webauthn_submit),
        )
        .route(
            "/login/terms",
            get(terms::terms_get).post(terms::terms_submit),
        )
        .route(
            account::PATH,
            get(account::security_get).post(account::security_submit),
        )
        .route(
            account_sessions::PATH,
            get(account_sessions::sessions_get).post(account_sessions::sessions_submit),
        )
        .route(
            account_profile::PATH,
            get(account_profile::profile_get).post(account_profile::profile_submit),
        )
        .route(
            account_delete::PATH,
            get(account_delete::delete_get).post(account_delete::delete_submit),
        )
        .route(session::EXTEND_PATH, post(session::extend_post))
        .route(session::STATUS_PATH, post(session::status_post))
        .route(
            "/consent",
            get(consent::consent_page).post(consent::consent_submit),
        )
        .route(pages::STYLESHEET_PATH, get(assets::stylesheet))
        .route(pages::WEBAUTHN_SCRIPT_PATH, get(assets::webauthn_script))
        .route(pages::SESSION_SCRIPT_PATH, get(assets::session_script))
        .route(
            pages::PASSWORD_RULES_SCRIPT_PATH,
            get(assets::password_rules_script),
        );
    if state.ident.is_some() {
        routes = routes
            .route(ident::START_PATH, get(ident::start))
            .route(ident::CALLBACK_PATH, get(ident::callback));
    }
    if state.settings.demo_enabled {
        routes = routes.route(
            "/demo/callback",
            get(demo::callback_get).post(demo::callback_post),
        );
    }
    // Layers, outermost last: every request gets an id first (so the trace span
    // and error pages can name it), and the security headers wrap the body
    // limit, so even a 413 carries them.
    let mut app = routes.fallback(not_found).with_state(state);
    if let Some(extra) = extra {
        app = app.merge(extra);
    }
    app.layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(security::security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = request.uri().path(),
                    request_id,
                )
            },
        ))
        .layer(SetRequestIdLayer::new(
            REQUEST_ID,
            request_id::ProcessRequestIds::new(),
        ))
}

async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = respond::locale(&headers, &[]);
    let description = state.pages.message(locale, "error_not_found");
    respond::error_page(
        &state,
        locale,
        StatusCode::NOT_FOUND,
        "PF-WEB-404",
        &description,
        &respond::request_id(&headers),
    )
}
