//! The admin console and the admin JSON API of Pforte (R-OP-1).
//!
//! Owns: the operator [`usecases`] (each checks one
//! `pforte_identity::operator_roles::Permission` before it does anything), the
//! themed console under `/admin` ([`console`]) and the JSON API under
//! `/admin/api` with its OpenAPI document ([`api`]). Key types: [`AdminState`],
//! [`Operator`], [`AdminError`].
//!
//! The console and the API are two thin faces over the same use cases, so a
//! role check cannot be bypassed by choosing the other face. Pages are rendered
//! with the themes, cookies and CSRF helpers of `pforte-web` (ADR 0006).
//!
//! Must not depend on sea-orm or pforte-store: storage is reached through the
//! ports of pforte-identity and pforte-oauth.

pub mod api;
pub mod console;
pub mod error;
pub mod operator;
pub mod routes;
pub mod state;
pub mod usecases;

pub use error::AdminError;
pub use operator::Operator;
pub use routes::router;
pub use state::AdminState;
