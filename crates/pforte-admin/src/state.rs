//! What the admin handlers share, built by pforte-server.

use pforte_identity::letters::LetterQueue;
use pforte_identity::operator_roles::OperatorRoleStore;
use pforte_identity::ports::{LockoutStore, OutboxStore};
use pforte_web::AppState;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AdminState {
    /// The provider's own state: identity, protocol core, themes, stores.
    pub web: AppState,
    /// Which accounts hold which operator roles.
    pub roles: Arc<dyn OperatorRoleStore>,
    /// The TOML text of the policy in force (`policy_file`), read by the
    /// composition root; `None` when the built-in defaults apply.
    pub policy_text: Option<Arc<str>>,
    /// The brands a client may be given (R-OP-2): `base` and every brand
    /// folder of the themes in use, listed by the composition root.
    pub brands: Arc<[String]>,
    /// The audit trail: console logins and logouts are written here.
    pub audit: Arc<dyn LockoutStore>,
    pub console: Arc<ConsoleSettings>,
    /// The print queue of letters by post (pending letters, R-RG-4).
    pub letters: Arc<LetterQueue>,
    /// The dev outbox (shown with `[admin] show_outbox`).
    pub outbox: Arc<dyn OutboxStore>,
}

/// The console's settings, from `[admin]` and the policy (docs/admin.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// The level an operator's login must reach (`[admin] required_acr`).
    pub required_acr: String,
    /// The policy's levels, lowest first, to compare the level reached.
    pub acr_levels: Vec<String>,
    /// A console session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A console session ends this long after the login.
    pub absolute_timeout: Duration,
    /// Show the dev outbox (`[admin] show_outbox`).
    pub show_outbox: bool,
}

impl ConsoleSettings {
    /// Whether `acr` is the required level or a higher one.
    pub fn reaches_required(&self, acr: &str) -> bool {
        let rank = |name: &str| self.acr_levels.iter().position(|level| level == name);
        match (rank(acr), rank(&self.required_acr)) {
            (Some(reached), Some(required)) => reached >= required,
            _ => false,
        }
    }
}
