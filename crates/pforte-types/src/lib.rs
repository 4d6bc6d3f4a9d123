//! Shared vocabulary of Pforte.
//!
//! Owns the small value types every other crate speaks: account ids, assurance
//! levels (`acr`) and methods (`amr`), the seam between the protocol core and the
//! login flow ([`AuthTarget`] / [`AuthResult`]), the provider session snapshot, the
//! clock, and the storage error that every port returns.
//!
//! Must not depend on any other Pforte crate and does no I/O (DESIGN.md §2).

pub mod assurance;
pub mod auth;
pub mod clock;
pub mod error;
pub mod ids;

pub use assurance::{Evidence, FactorClass, Method, amr_of};
pub use auth::{AuthResult, AuthTarget, Prompt, SessionSnapshot};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::StoreError;
pub use ids::AccountId;
