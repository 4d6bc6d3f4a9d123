//! What the admin handlers share, built by pforte-server.

use pforte_identity::operator_roles::OperatorRoleStore;
use pforte_web::AppState;
use std::sync::Arc;

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
}
