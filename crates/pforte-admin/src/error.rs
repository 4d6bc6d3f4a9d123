//! Errors of the admin use cases, without HTTP in them (DESIGN.md §5); the
//! console renders them as a page, the API as JSON.

use pforte_identity::IdentityError;
use pforte_identity::operator_roles::Permission;
use pforte_types::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The operator's roles do not allow this (R-OP-1).
    #[error("not permitted: {}", .0.as_str())]
    Forbidden(Permission),
    /// The user, client or key named does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The input was refused; the text names the field and the rule.
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AdminError {
    /// The stable public code shown on error pages and in API errors.
    pub fn public_code(&self) -> &'static str {
        match self {
            Self::Forbidden(_) => "PF-ADMIN-403",
            Self::NotFound(_) => "PF-ADMIN-404",
            Self::Invalid(_) => "PF-ADMIN-400",
            Self::Identity(_) | Self::Store(_) => "PF-ADMIN-500",
        }
    }
}
