//! The composition root of Pforte.
//!
//! Owns: the operator configuration ([`config::Settings`], the only place that
//! reads files and the environment), the wiring of stores, keys, the protocol
//! core, the login service and the router into an [`app::App`], first-start
//! provisioning of the demo client and user ([`demo`]), serving, the
//! background delivery of back-channel logout tokens ([`backchannel`]), and
//! operations: health checks, metrics and logs ([`ops`], R-OP-3).
//!
//! Everything below it is handed its dependencies from here; there is no global
//! state (DESIGN.md §2).

pub mod admin;
pub mod app;
pub mod backchannel;
pub mod config;
pub mod demo;
pub mod ident;
pub mod letters;
pub mod malloc_tuning;
pub mod member_lookup;
pub mod members;
pub mod ops;

pub use app::{App, ServerError};
pub use config::{ConfigError, Settings};
