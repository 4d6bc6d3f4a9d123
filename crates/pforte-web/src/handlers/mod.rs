//! The handlers, one endpoint per file. Each parses the request, calls the
//! protocol core or the login service, and maps the result to a response.

pub mod account;
pub mod account_delete;
pub mod account_profile;
pub mod account_sessions;
pub mod assets;
pub mod authorize;
pub mod consent;
pub mod demo;
pub mod discovery;
pub mod enrol;
pub mod factor;
pub mod flow;
pub mod health;
pub mod ident;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod par;
pub mod password_change;
pub mod recovery;
pub mod register;
pub mod revoke;
pub mod session;
pub mod terms;
pub mod theme;
pub mod token;
pub mod userinfo;
pub mod webauthn;

use axum::http::HeaderMap;
use pforte_identity::IdentityError;
use pforte_identity::session::ProviderSession;

use crate::cookies::{self, CookieKind};
use crate::state::AppState;

/// The browser's provider session while it is live (R-SE-1); an unknown or
/// expired cookie counts as no session. Every caller is a page of the
/// provider or an authorization request the user makes, so this is a use of
/// the session: it moves the idle end (written only every so often, see
/// `IdentityService::use_session`).
pub(crate) async fn live_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<ProviderSession>, IdentityError> {
    match cookies::read(headers, CookieKind::Session, state.settings.secure_cookies) {
        Some(sid) => state.identity.use_session(&sid).await,
        None => Ok(None),
    }
}
