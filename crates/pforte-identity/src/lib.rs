//! pforte-identity
pub mod account;
pub mod ports;
pub mod session;
