//! Pure checks of operator input, one concern per file, each unit-tested. They
//! return a message for the operator; none of them echoes a secret. The URI
//! rules of a client registration are the protocol core's
//! (`pforte_oauth::registration`), shared with the admin console.

pub mod base32;
pub mod fields;
pub mod jwks;
pub use pforte_oauth::registration::{logout_uri, redirect_uri};
