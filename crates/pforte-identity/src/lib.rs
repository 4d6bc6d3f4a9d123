//! Accounts and the login flow of Pforte.
//!
//! Owns: [`account::Account`], the provider session model
//! ([`session::ProviderSession`]), the login service ([`service::IdentityService`])
//! and the storage ports it needs ([`ports`]), which pforte-store implements.
//! The password login applies the tenant's `pforte-policy` ([`login`]: login
//! names, lockout reserved before the hash check, throttling), password
//! changes ([`password_change`]), operator actions ([`operator`]) and the
//! audit trail ([`audit`]) (SPEC.md R-ID, R-LO, R-PW, R-OP-3). Second factors
//! and registration build on this.
//!
//! Must not depend on axum, tera, sea-orm, reqwest or pforte-oauth
//! (DESIGN.md §2); it meets the protocol core through `pforte_types::AuthResult`.

pub mod account;
pub mod audit;
pub mod deletion;
pub mod enrol;
pub mod factor;
pub mod flow;
pub mod ident;
pub mod initial_password;
pub mod letters;
pub mod login;
pub mod member;
pub mod metrics;
pub mod operator;
pub mod operator_factors;
pub mod operator_roles;
pub mod password_change;
pub mod ports;
pub mod reauth;
pub mod recovery;
pub mod registration;
pub mod self_service;
pub mod service;
pub mod session;
pub mod sessions;
pub mod throttle;
pub mod webauthn;

/// The policy types the login layer speaks in (languages, violations), so
/// that callers need no dependency of their own on the policy crate.
pub use pforte_policy as policy;

pub use audit::{AuditEvent, AuditKind, AuditQuery, RequestContext};
pub use login::LoginOutcome;
pub use service::{FactorKit, IdentityError, IdentityService, LoginGuard};
