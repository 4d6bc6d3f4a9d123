//! Who is acting in the admin console or API, and the one check every use
//! case starts with (R-OP-1).

use pforte_identity::RequestContext;
use pforte_identity::operator_roles::{Permission, Role, roles_allow};
use pforte_types::AccountId;
use std::collections::BTreeSet;

use crate::error::AdminError;

/// An authenticated operator: a person in the console (an account with
/// roles) or a machine on the API (a client whose token carries admin
/// scopes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The name written into the audit trail: the account's username, or
    /// `client:<client_id>` for an API client.
    pub name: String,
    /// The operator's own account (console only).
    pub account: Option<AccountId>,
    pub roles: BTreeSet<Role>,
}

impl Operator {
    /// Fails with [`AdminError::Forbidden`] unless a role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AdminError> {
        if roles_allow(&self.roles, permission) {
            Ok(())
        } else {
            Err(AdminError::Forbidden(permission))
        }
    }

    pub fn may(&self, permission: Permission) -> bool {
        roles_allow(&self.roles, permission)
    }

    /// The request context for the audit events of this operator's action:
    /// the events name the operator.
    pub fn context(&self, mut context: RequestContext) -> RequestContext {
        context.operator = Some(self.name.clone());
        context
    }
}
