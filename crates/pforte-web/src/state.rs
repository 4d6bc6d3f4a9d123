//! The application state handed to every handler. Built once in pforte-server
//! (the composition root); no global state (DESIGN.md §2).

use pforte_identity::IdentityService;
use pforte_identity::ports::{EphemeralStore, SessionStore};
use pforte_oauth::Provider;
use pforte_types::Clock;
use std::sync::Arc;
use std::time::Duration;

use crate::pages::Pages;
use crate::readiness::Readiness;

#[derive(Clone)]
pub struct AppState {
    /// The protocol core.
    pub oauth: Arc<Provider>,
    /// Accounts, login and provider sessions.
    pub identity: Arc<IdentityService>,
    pub sessions: Arc<dyn SessionStore>,
    /// Pending authorization requests while the user logs in.
    pub ephemeral: Arc<dyn EphemeralStore>,
    /// Templates and message catalogs.
    pub pages: Arc<Pages>,
    pub settings: Arc<WebSettings>,
    pub clock: Arc<dyn Clock>,
    /// What `/health/ready` checks (R-OP-3), handed in by the composition
    /// root.
    pub readiness: Arc<Readiness>,
    /// Self-registration (R-RG); `None` when the provider offers none.
    pub registrar: Option<Arc<pforte_identity::registration::service::Registrar>>,
    /// Identity proofing with the external ident service (R-RG-5); `None`
    /// when `[ident]` is off, and then `/ident/*` is not served.
    pub ident: Option<Arc<pforte_identity::ident::IdentProofing>>,
}

/// Web-layer settings derived from the configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The issuer URL (OIDC Discovery 3), without trailing slash.
    pub issuer: String,
    /// True when the issuer is https: cookies get `Secure` and the `__Host-`
    /// prefix.
    pub secure_cookies: bool,
    /// Lifetime of a provider session.
    pub session_ttl: Duration,
    /// How long a pending authorization request waits for the login.
    pub interaction_ttl: Duration,
    /// Serve `/demo/callback`, the redirect URI of the demo client.
    pub demo_enabled: bool,
    /// The brand of pages that belong to no client, and of clients without
    /// (or with an unknown) brand: `[ui] default_brand` (R-OP-2).
    pub default_brand: String,
    /// Serve `/theme-preview` (`[ui] theme_preview`): every template of every
    /// brand in every language, rendered with its fixture.
    pub theme_preview: bool,
}
