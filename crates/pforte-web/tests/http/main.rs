//! HTTP tests of the real router on a free port (DESIGN.md §7): one binary for
//! the whole crate to keep link time down.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod discovery;
mod flow;
mod ident;
mod lockout;
mod login;
mod logout_notify;
mod pages;
mod recovery;
mod registration;
mod second_factor;
mod sessions;
mod support;
mod themes;
