//! Protocol core tests against the real SQLite store (DESIGN.md §7): every check
//! of the authorization pipeline and every grant, driven through the `Provider`
//! API as the web layer calls it. Time moves by the manual clock only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod authorize;
mod end_session;
mod par;

mod client_auth;
mod introspection;
mod revocation;
mod token;
mod userinfo;
