//! Integration tests of the admin console and admin API on the real router.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod console;
mod support;
mod usecases;
