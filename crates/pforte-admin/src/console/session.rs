//! The console session (R-OP-1): a random id in an HttpOnly, SameSite=Strict
//! cookie, the record in the provider's ephemeral store (Redis when several
//! nodes run, so any node serves the next request), an idle and an absolute
//! limit, and a CSRF token for every POST.
//!
//! The record holds who logged in and when, never the roles: they are read
//! from the role store on every request, so a revoked role takes effect at
//! once. The store key is a digest of the cookie value, so a store dump does
//! not hand out live sessions.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pforte_crypto::random::{random_token, sha256_b64url};
use pforte_identity::RequestContext;
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::client::LOGIN_PATH;
use super::render;
use crate::operator::Operator;
use crate::state::AdminState;

/// Cookie of the console session: SameSite=Strict, so no other site's page
/// can make the browser send it.
const SESSION_COOKIE: (&str, &str) = ("__Host-pforte_admin", "pforte_admin");
/// Cookie binding a started login to this browser until the callback (its
/// value is the `state`); Lax, it only has to survive our own redirects.
const LOGIN_COOKIE: (&str, &str) = ("__Host-pforte_admin_login", "pforte_admin_login");

fn cookie_name(names: (&'static str, &'static str), secure: bool) -> &'static str {
    if secure { names.0 } else { names.1 }
}

fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn set_cookie(
    name: &str,
    value: &str,
    same_site: &str,
    secure: bool,
    ttl: Duration,
) -> Option<HeaderValue> {
    let secure_attribute = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite={same_site}{secure_attribute}",
        ttl.as_secs()
    ))
    .ok()
}

/// Adds a `Set-Cookie` header to a response.
fn append_cookie(response: &mut Response, cookie: Option<HeaderValue>) {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// The login cookie's value (the `state` of the login started here).
pub fn login_cookie(state: &AdminState, headers: &HeaderMap) -> Option<String> {
    let secure = state.web.settings.secure_cookies;
    read_cookie(headers, cookie_name(LOGIN_COOKIE, secure))
}

pub fn set_login_cookie(state: &AdminState, response: &mut Response, value: &str) {
    let secure = state.web.settings.secure_cookies;
    let ttl = state.web.settings.interaction_ttl;
    append_cookie(
        response,
        set_cookie(cookie_name(LOGIN_COOKIE, secure), value, "Lax", secure, ttl),
    );
}

pub fn clear_login_cookie(state: &AdminState, response: &mut Response) {
    let secure = state.web.settings.secure_cookies;
    append_cookie(
        response,
        set_cookie(
            cookie_name(LOGIN_COOKIE, secure),
            "",
            "Lax",
            secure,
            Duration::ZERO,
        ),
    );
}

fn set_session_cookie(state: &AdminState, response: &mut Response, value: &str) {
    let secure = state.web.settings.secure_cookies;
    append_cookie(
        response,
        set_cookie(
            cookie_name(SESSION_COOKIE, secure),
            value,
            "Strict",
            secure,
            state.console.absolute_timeout,
        ),
    );
}

pub fn clear_session_cookie(state: &AdminState, response: &mut Response) {
    let secure = state.web.settings.secure_cookies;
    append_cookie(
        response,
        set_cookie(
            cookie_name(SESSION_COOKIE, secure),
            "",
            "Strict",
            secure,
            Duration::ZERO,
        ),
    );
}

fn session_id(state: &AdminState, headers: &HeaderMap) -> Option<String> {
    let secure = state.web.settings.secure_cookies;
    read_cookie(headers, cookie_name(SESSION_COOKIE, secure))
}

fn store_key(session_id: &str) -> String {
    format!("admin-session:{}", sha256_b64url(session_id))
}

/// A console session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSession {
    pub account: AccountId,
    pub username: String,
    /// The level the login reached.
    pub acr: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The token every console form carries (compared in constant time).
    pub csrf: String,
}

/// Why a stored session is no longer valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Live,
    Idle,
    Absolute,
}

impl Expiry {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Idle => "idle_timeout",
            Self::Absolute => "absolute_timeout",
        }
    }
}

impl ConsoleSession {
    /// Whether the session is still live at `now` (pure; unit-tested).
    pub fn expiry(&self, now: DateTime<Utc>, idle: Duration, absolute: Duration) -> Expiry {
        let since = |at: DateTime<Utc>| (now - at).to_std().unwrap_or(Duration::ZERO);
        if since(self.created_at) >= absolute {
            Expiry::Absolute
        } else if since(self.last_seen_at) >= idle {
            Expiry::Idle
        } else {
            Expiry::Live
        }
    }

    /// How long the store keeps the record: until the earlier limit.
    fn ttl(&self, now: DateTime<Utc>, idle: Duration, absolute: Duration) -> Duration {
        let used = (now - self.created_at).to_std().unwrap_or(Duration::ZERO);
        idle.min(absolute.saturating_sub(used))
            .max(Duration::from_secs(1))
    }
}

/// Stores a new session and sets its cookie on `response`.
pub async fn start(
    state: &AdminState,
    response: &mut Response,
    account: AccountId,
    username: &str,
    acr: &str,
) -> Result<(), pforte_types::StoreError> {
    let now = state.web.clock.now();
    let session = ConsoleSession {
        account,
        username: username.to_owned(),
        acr: acr.to_owned(),
        created_at: now,
        last_seen_at: now,
        csrf: random_token(),
    };
    let id = random_token();
    save(state, &id, &session, now).await?;
    set_session_cookie(state, response, &id);
    Ok(())
}

async fn save(
    state: &AdminState,
    id: &str,
    session: &ConsoleSession,
    now: DateTime<Utc>,
) -> Result<(), pforte_types::StoreError> {
    let bytes = serde_json::to_vec(session)
        .map_err(|error| pforte_types::StoreError::Corrupt(error.to_string()))?;
    let ttl = session.ttl(
        now,
        state.console.idle_timeout,
        state.console.absolute_timeout,
    );
    state
        .web
        .ephemeral
        .put_ephemeral(&store_key(id), &bytes, ttl)
        .await
}

/// What a request finds: a live session, one that just ran out, or none.
enum Found {
    Live(ConsoleSession),
    Expired(ConsoleSession, Expiry),
    None,
}

async fn find(state: &AdminState, headers: &HeaderMap) -> Result<Found, pforte_types::StoreError> {
    let Some(id) = session_id(state, headers) else {
        return Ok(Found::None);
    };
    let Some(bytes) = state.web.ephemeral.get_ephemeral(&store_key(&id)).await? else {
        return Ok(Found::None);
    };
    let Ok(mut session) = serde_json::from_slice::<ConsoleSession>(&bytes) else {
        return Ok(Found::None);
    };
    let now = state.web.clock.now();
    match session.expiry(
        now,
        state.console.idle_timeout,
        state.console.absolute_timeout,
    ) {
        Expiry::Live => {
            session.last_seen_at = now;
            save(state, &id, &session, now).await?;
            Ok(Found::Live(session))
        }
        expired => {
            // Only the request that removes the record reports the end.
            match state.web.ephemeral.take_ephemeral(&store_key(&id)).await? {
                Some(_) => Ok(Found::Expired(session, expired)),
                None => Ok(Found::None),
            }
        }
    }
}

/// Ends the session of this request, if any; the record is gone afterwards.
pub async fn end(
    state: &AdminState,
    headers: &HeaderMap,
) -> Result<Option<ConsoleSession>, pforte_types::StoreError> {
    let Some(id) = session_id(state, headers) else {
        return Ok(None);
    };
    let Some(bytes) = state.web.ephemeral.take_ephemeral(&store_key(&id)).await? else {
        return Ok(None);
    };
    Ok(serde_json::from_slice(&bytes).ok())
}

/// The request context of a console request: address and agent are not
/// known to the console handlers, the request id is.
pub fn request_context(headers: &HeaderMap) -> RequestContext {
    RequestContext {
        client_id: Some(super::client::ADMIN_CLIENT_ID.to_owned()),
        ip: None,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(512).collect()),
        request_id: Some(pforte_web::respond::request_id(headers)),
        operator: None,
    }
}

/// The operator of a console request (the axum extractor every console page
/// takes): a live session whose account still holds a role. Without a
/// session the browser is sent to the login; with no role left the answer is
/// the "no access" page.
#[derive(Debug, Clone)]
pub struct CurrentOperator {
    pub operator: Operator,
    pub session: ConsoleSession,
    /// The context for the audit events of this request (names the operator).
    pub context: RequestContext,
}

impl CurrentOperator {
    /// The CSRF token to put into every form as `csrf_token`.
    pub fn csrf_token(&self) -> &str {
        &self.session.csrf
    }

    /// Checks the `csrf_token` a POST carried.
    pub fn check_csrf(&self, presented: Option<&str>) -> bool {
        pforte_web::csrf::tokens_match(&self.session.csrf, presented)
    }
}

impl FromRequestParts<AdminState> for CurrentOperator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let session = match find(state, headers).await {
            Ok(Found::Live(session)) => session,
            Ok(Found::Expired(session, why)) => {
                super::login::audit_logout(state, headers, &session, why.as_str()).await;
                return Err(to_login(state));
            }
            Ok(Found::None) => return Err(to_login(state)),
            Err(error) => return Err(render::internal_error(state, headers, &error)),
        };
        let roles = match state.roles.roles_of(session.account).await {
            Ok(roles) => roles,
            Err(error) => return Err(render::internal_error(state, headers, &error)),
        };
        if roles.is_empty() {
            return Err(render::no_access(state, headers));
        }
        let operator = Operator {
            name: session.username.clone(),
            account: Some(session.account),
            roles,
        };
        let context = operator.context(request_context(headers));
        Ok(Self {
            operator,
            session,
            context,
        })
    }
}

/// 303 to the console login (which starts a new provider login); the
/// session cookie is removed.
fn to_login(state: &AdminState) -> Response {
    let mut response = pforte_web::respond::see_other(LOGIN_PATH);
    clear_session_cookie(state, &mut response);
    response
}

/// A bare 403 for a POST without the right CSRF token.
pub fn csrf_refused() -> Response {
    (StatusCode::FORBIDDEN, "PF-ADMIN-403 (csrf)").into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn session(created: i64, seen: i64) -> ConsoleSession {
        let at = |s| DateTime::<Utc>::from_timestamp(1_800_000_000 + s, 0).unwrap();
        ConsoleSession {
            account: AccountId::new(),
            username: "anna".into(),
            acr: "loa-high".into(),
            created_at: at(created),
            last_seen_at: at(seen),
            csrf: "t".into(),
        }
    }

    #[test]
    fn r_op_1_a_console_session_ends_after_the_idle_or_the_absolute_limit() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000 + 1000, 0).unwrap();
        let idle = Duration::from_secs(900);
        let absolute = Duration::from_secs(8 * 3600);
        assert_eq!(session(0, 200).expiry(now, idle, absolute), Expiry::Live);
        assert_eq!(session(0, 100).expiry(now, idle, absolute), Expiry::Idle);
        let late = DateTime::<Utc>::from_timestamp(1_800_000_000 + 8 * 3600, 0).unwrap();
        assert_eq!(
            session(0, 8 * 3600 - 10).expiry(late, idle, absolute),
            Expiry::Absolute
        );
        // The store keeps the record no longer than the earlier limit.
        assert_eq!(session(0, 0).ttl(now, idle, absolute), idle);
        let near_end = DateTime::<Utc>::from_timestamp(1_800_000_000 + 8 * 3600 - 60, 0).unwrap();
        assert_eq!(
            session(0, 0).ttl(near_end, idle, absolute),
            Duration::from_secs(60)
        );
    }
}
