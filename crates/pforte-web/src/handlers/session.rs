//! The provider session as pages and relying parties see it (R-SE-1):
//!
//! - the countdown on pages for a logged-in user ([`countdown`]): the time
//!   left, the end as a clock time, and a "stay logged in" form;
//! - `POST /session/extend`: that form; it restarts the idle window and goes
//!   back to the page it came from;
//! - `POST /session/status`: a relying party asks, with its client
//!   authentication and the `sid` of its ID token, how long the session has
//!   left (docs/integration/session-status.md, docs/adr/0004). Asking does not
//!   extend the session.
//!
//! The "stay logged in" form carries a CSRF token derived from the session
//! id ([`form_token`]): a digest that only someone who knows the session
//! cookie (HttpOnly) can compute, so no state has to be stored for it, and it
//! changes with every new login. The session cookie being SameSite=Lax keeps
//! it from cross-site POSTs as a second line.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use pforte_identity::session::ProviderSession;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::csrf;
use crate::form;
use crate::respond::{self, WwwAuthenticate};
use crate::security;
use crate::state::AppState;

/// Where the "stay logged in" form posts.
pub const EXTEND_PATH: &str = "/session/extend";

/// Where relying parties ask for a session's status.
pub const STATUS_PATH: &str = pforte_oauth::config::paths::SESSION_STATUS;

/// How long before the end the "stay logged in" action is brought forward.
pub const WARN_BEFORE_SECS: i64 = 60;

/// The pages the form may return to: the self-service pages that show the
/// countdown. Anything else goes to the first, so the form cannot be used as
/// an open redirect.
const RETURN_PATHS: &[&str] = &[
    super::account::PATH,
    super::account_sessions::PATH,
    super::account_profile::PATH,
    super::account_delete::PATH,
];

/// The CSRF token of the session's own forms: a digest of the session id
/// under a fixed label (see the module documentation).
pub fn form_token(sid: &str) -> String {
    pforte_crypto::random::sha256_b64url(&format!("pforte-session-form:{sid}"))
}

/// What the layout shows for a logged-in user (`session_countdown`).
#[derive(Debug, Serialize)]
pub struct Countdown {
    /// Seconds left, for the script (a duration, so the browser's clock does
    /// not matter).
    pub seconds: i64,
    /// The same as `m:ss`, for the page without script.
    pub remaining: String,
    /// The end as a clock time (UTC).
    pub ends_at: String,
    pub warn_before: i64,
    pub action: &'static str,
    pub csrf_token: String,
    pub return_to: &'static str,
}

/// The countdown of `session` at `now` for a page at `return_to`.
pub fn countdown(session: &ProviderSession, now: DateTime<Utc>, return_to: &str) -> Countdown {
    let seconds = session.remaining(now).num_seconds();
    Countdown {
        seconds,
        remaining: format!("{}:{:02}", seconds / 60, seconds % 60),
        ends_at: session.ends_at().format("%H:%M UTC").to_string(),
        warn_before: WARN_BEFORE_SECS,
        action: EXTEND_PATH,
        csrf_token: form_token(&session.sid),
        return_to: safe_return(return_to),
    }
}

/// The Content-Security-Policy of a page with the countdown: the default
/// plus scripts from our own origin (the countdown script; no inline code).
pub fn countdown_csp() -> String {
    security::webauthn_csp(None)
}

fn safe_return(path: &str) -> &'static str {
    RETURN_PATHS
        .iter()
        .copied()
        .find(|known| *known == path)
        .unwrap_or(super::account::PATH)
}

#[derive(Debug, Default, Deserialize)]
struct ExtendForm {
    csrf_token: Option<String>,
    #[serde(default)]
    return_to: String,
}

/// "Stay logged in": restarts the idle window of the browser's session
/// (never its absolute end) and returns to the page. A session that has
/// already ended is not revived; the page then says to sign in again.
pub async fn extend_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = &respond::look(&state, &headers, &[], None);
    let request_id = respond::request_id(&headers);
    let form: ExtendForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let back = safe_return(&form.return_to);
    let sid = crate::cookies::read(
        &headers,
        crate::cookies::CookieKind::Session,
        state.settings.secure_cookies,
    );
    let Some(sid) = sid else {
        return respond::see_other(back);
    };
    if !csrf::tokens_match(&form_token(&sid), form.csrf_token.as_deref()) {
        return super::login::forged(&state, &headers, locale);
    }
    match state.identity.extend_session(&sid).await {
        Ok(_) => respond::see_other(back),
        Err(error) => respond::internal_error_page(&state, locale, &error, &request_id),
    }
}

/// `POST /session/status` (docs/integration/session-status.md): the client
/// authenticates as at the token endpoint and names the `sid` of its ID
/// token. The answer is `{"active": false}` for an unknown or ended session
/// and for a session in which this client was never answered, so a client
/// learns nothing about sessions that are not its own (like introspection,
/// RFC 7662 4).
pub async fn status_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = respond::request_id(&headers);
    let params = match form::body_params(&headers, &body) {
        Ok(params) => params,
        Err(error) => return respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    };
    let client = match state
        .oauth
        .session_status_client(&params, respond::authorization_header(&headers))
        .await
    {
        Ok(client) => client,
        Err(error) => return respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    };
    let sid = match params.require("sid") {
        Ok(sid) => sid.to_owned(),
        Err(error) => return respond::oauth_error(&error, &request_id, WwwAuthenticate::Basic),
    };
    let session = match state.identity.live_session(&sid).await {
        Ok(session) => session,
        Err(error) => {
            tracing::error!(request_id, %error, "session status unavailable");
            return respond::json_no_store(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({
                    "error": "temporarily_unavailable",
                    "error_description": "the session store cannot be reached",
                }),
            );
        }
    };
    let answer = match session.filter(|session| session.clients.contains(&client.client_id)) {
        Some(session) => status_of(&session, state.clock.now()),
        None => json!({"active": false}),
    };
    respond::json_no_store(StatusCode::OK, &answer)
}

/// The status members (docs/integration/session-status.md); times are Unix
/// seconds like the JWT claims the client already knows.
fn status_of(session: &ProviderSession, now: DateTime<Utc>) -> serde_json::Value {
    let mut answer = json!({
        "active": true,
        "sid": session.sid,
        "expires_in": session.remaining(now).num_seconds(),
        "ends_at": session.ends_at().timestamp(),
        "absolute_expires_at": session.expires_at.timestamp(),
        "auth_time": session.auth_time.timestamp(),
        "acr": session.acr,
    });
    if let (Some(object), Some(idle_end), Some(idle)) = (
        answer.as_object_mut(),
        session.idle_ends_at(),
        session.idle_timeout_secs,
    ) {
        object.insert("idle_expires_at".into(), json!(idle_end.timestamp()));
        object.insert("idle_timeout".into(), json!(idle));
    }
    answer
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use pforte_types::AccountId;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn session() -> ProviderSession {
        ProviderSession {
            sid: "sid-1".into(),
            account_id: AccountId::new(),
            auth_time: at(0),
            acr: "loa-low".into(),
            amr: vec!["pwd".into()],
            created_at: at(0),
            expires_at: at(8 * 3600),
            clients: vec!["portal".into()],
            evidence: vec![],
            last_seen_at: Some(at(0)),
            idle_timeout_secs: Some(900),
        }
    }

    #[test]
    fn r_se_1_countdown_shows_minutes_seconds_and_the_end() {
        let countdown = countdown(&session(), at(841), "/account/sessions");
        assert_eq!(countdown.seconds, 59);
        assert_eq!(countdown.remaining, "0:59");
        assert_eq!(countdown.ends_at, at(900).format("%H:%M UTC").to_string());
        assert_eq!(countdown.return_to, "/account/sessions");
        assert_eq!(countdown.csrf_token, form_token("sid-1"));
        assert_ne!(form_token("sid-1"), form_token("sid-2"));
    }

    #[test]
    fn r_se_1_the_form_returns_only_to_known_pages() {
        assert_eq!(
            safe_return("https://evil.example/"),
            super::super::account::PATH
        );
        assert_eq!(safe_return("//evil.example"), super::super::account::PATH);
        assert_eq!(safe_return("/account/sessions"), "/account/sessions");
    }

    #[test]
    fn r_se_1_status_names_both_ends() {
        let answer = status_of(&session(), at(300));
        assert_eq!(answer["active"], true);
        assert_eq!(answer["expires_in"], 600);
        assert_eq!(answer["idle_expires_at"], at(900).timestamp());
        assert_eq!(answer["absolute_expires_at"], at(8 * 3600).timestamp());
        assert_eq!(answer["ends_at"], at(900).timestamp());
        assert_eq!(answer["idle_timeout"], 900);
    }
}
