//! Operator roles and what each may do (R-OP-1).
//!
//! An operator is an account (console) or an OAuth client (admin API) that
//! holds one or more [`Role`]s. Every use case of the admin console and API
//! asks for one [`Permission`] before it reads or changes anything, so a
//! permission cannot be skipped by calling the API instead of the console.
//!
//! The table is deliberately small and fixed, like the three desk roles an
//! insurer's IT runs: the service desk (support), the identity team
//! (security admin) and internal audit / data protection (auditor).
//! A security admin can do everything support can, plus clients, keys and
//! policies; the auditor reads everything support and security admin can
//! read and changes nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_types::{AccountId, StoreError};
use std::collections::BTreeSet;

/// A role an operator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Service desk: find users, unlock, reactivate, trigger a password reset,
    /// resend the activation letter, see factors, devices, sessions and the
    /// audit trail.
    Support,
    /// Support plus relying parties, signing keys and policies.
    SecurityAdmin,
    /// Reads what the other two read; changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Support, Role::SecurityAdmin, Role::Auditor];

    /// The stable name used in the database, the CLI and OAuth scopes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Support => "support",
            Self::SecurityAdmin => "security_admin",
            Self::Auditor => "auditor",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// The OAuth scope that grants this role to an admin API client
    /// (`pforte:admin:support`, …).
    pub fn scope(self) -> String {
        format!("{ADMIN_SCOPE_PREFIX}{}", self.as_str())
    }

    /// Whether this role may do `permission` (the table in the module docs).
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::Auditor => permission.is_read_only(),
            Self::Support => matches!(
                permission,
                SearchUsers
                    | ViewUser
                    | ViewAuditTrail
                    | UnlockUser
                    | ReactivateUser
                    | TriggerPasswordReset
                    | ResendActivationLetter
                    | ViewOutbox
                    | ViewLetters
            ),
            Self::SecurityAdmin => true,
        }
    }
}

/// The prefix of the admin API scopes; the rest is a [`Role::as_str`].
pub const ADMIN_SCOPE_PREFIX: &str = "pforte:admin:";

/// One thing an operator may be allowed to do. Each admin use case checks
/// exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    SearchUsers,
    /// User detail: state, factors, devices, sessions.
    ViewUser,
    ViewAuditTrail,
    UnlockUser,
    ReactivateUser,
    TriggerPasswordReset,
    ResendActivationLetter,
    ViewOutbox,
    ViewLetters,
    ViewClients,
    ManageClients,
    ViewKeys,
    RotateKeys,
    ViewPolicies,
    ValidatePolicy,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::SearchUsers,
        Permission::ViewUser,
        Permission::ViewAuditTrail,
        Permission::UnlockUser,
        Permission::ReactivateUser,
        Permission::TriggerPasswordReset,
        Permission::ResendActivationLetter,
        Permission::ViewOutbox,
        Permission::ViewLetters,
        Permission::ViewClients,
        Permission::ManageClients,
        Permission::ViewKeys,
        Permission::RotateKeys,
        Permission::ViewPolicies,
        Permission::ValidatePolicy,
    ];

    /// Reading only: nothing changes and no message is sent. Validating an
    /// uploaded policy reads only too, but it is a security admin's tool.
    pub fn is_read_only(self) -> bool {
        use Permission::*;
        matches!(
            self,
            SearchUsers
                | ViewUser
                | ViewAuditTrail
                | ViewOutbox
                | ViewLetters
                | ViewClients
                | ViewKeys
                | ViewPolicies
        )
    }

    pub fn as_str(self) -> &'static str {
        use Permission::*;
        match self {
            SearchUsers => "search_users",
            ViewUser => "view_user",
            ViewAuditTrail => "view_audit_trail",
            UnlockUser => "unlock_user",
            ReactivateUser => "reactivate_user",
            TriggerPasswordReset => "trigger_password_reset",
            ResendActivationLetter => "resend_activation_letter",
            ViewOutbox => "view_outbox",
            ViewLetters => "view_letters",
            ViewClients => "view_clients",
            ManageClients => "manage_clients",
            ViewKeys => "view_keys",
            RotateKeys => "rotate_keys",
            ViewPolicies => "view_policies",
            ValidatePolicy => "validate_policy",
        }
    }
}

/// Whether any of `roles` allows `permission`.
pub fn roles_allow(roles: &BTreeSet<Role>, permission: Permission) -> bool {
    roles.iter().any(|role| role.allows(permission))
}

/// A role held by an account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub account: AccountId,
    pub role: Role,
    pub granted_at: DateTime<Utc>,
    /// Who granted it (`cli` or an operator's name).
    pub granted_by: String,
}

/// Storage of the roles accounts hold (implemented by pforte-store).
#[async_trait]
pub trait OperatorRoleStore: Send + Sync {
    /// Adds a role; granting a held role again changes nothing.
    async fn grant_role(&self, grant: &RoleGrant) -> Result<(), StoreError>;
    /// Removes a role; true when the account held it.
    async fn revoke_role(&self, account: AccountId, role: Role) -> Result<bool, StoreError>;
    async fn roles_of(&self, account: AccountId) -> Result<BTreeSet<Role>, StoreError>;
    /// Every grant, for `pforte operator list`.
    async fn role_grants(&self) -> Result<Vec<RoleGrant>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_op_1_security_admin_can_do_everything_support_can() {
        for permission in Permission::ALL {
            if Role::Support.allows(permission) {
                assert!(Role::SecurityAdmin.allows(permission), "{permission:?}");
            }
        }
    }

    #[test]
    fn r_op_1_support_cannot_touch_clients_keys_or_policies() {
        for permission in [
            Permission::ViewClients,
            Permission::ManageClients,
            Permission::ViewKeys,
            Permission::RotateKeys,
            Permission::ViewPolicies,
            Permission::ValidatePolicy,
        ] {
            assert!(!Role::Support.allows(permission), "{permission:?}");
        }
    }

    #[test]
    fn r_op_1_auditor_reads_and_changes_nothing() {
        for permission in Permission::ALL {
            assert_eq!(
                Role::Auditor.allows(permission),
                permission.is_read_only(),
                "{permission:?}"
            );
        }
        assert!(Role::Auditor.allows(Permission::ViewClients));
        assert!(!Role::Auditor.allows(Permission::UnlockUser));
    }

    #[test]
    fn roles_and_scopes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::SecurityAdmin.scope(), "pforte:admin:security_admin");
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn no_role_allows_nothing_and_any_role_suffices() {
        let none = BTreeSet::new();
        assert!(!roles_allow(&none, Permission::SearchUsers));
        let both: BTreeSet<Role> = [Role::Auditor, Role::Support].into();
        assert!(roles_allow(&both, Permission::UnlockUser));
    }
}
