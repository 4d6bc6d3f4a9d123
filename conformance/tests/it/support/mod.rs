//! The harness: the provider process, relying parties, a user agent and the
//! small parsers they need.

pub mod admin;
pub mod factors;
pub mod fixture;
pub mod forms;
pub mod http;
pub mod jwt;
pub mod lockout;
pub mod raw;
pub mod rp;
pub mod server;

pub use fixture::{Fixture, PASSWORD, clients, shared, users};
pub use http::UserAgent;
pub use rp::walk;
