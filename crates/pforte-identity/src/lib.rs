//! Accounts and the login flow of Pforte.
//!
//! Owns: [`account::Account`], the provider session model
//! ([`session::ProviderSession`]), the login service ([`service::IdentityService`])
//! and the storage ports it needs ([`ports`]), which pforte-store implements.
//! Lockout, password policy, second factors and registration build on this
//! (SPEC.md R-LO, R-PW, R-MF, R-RG).
//!
//! Must not depend on axum, tera, sea-orm, reqwest or pforte-oauth
//! (DESIGN.md §2); it meets the protocol core through `pforte_types::AuthResult`.

pub mod account;
pub mod audit;
pub mod login;
pub mod operator;
pub mod password_change;
pub mod ports;
pub mod service;
pub mod session;
pub mod throttle;

pub use audit::{AuditEvent, AuditKind, AuditQuery, RequestContext};
pub use login::LoginOutcome;
pub use service::{IdentityError, IdentityService, LoginGuard};
