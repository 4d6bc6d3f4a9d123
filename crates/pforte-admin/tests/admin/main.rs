//! Integration tests of the admin console and admin API on the real router.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod actions;
mod api;
mod console;
mod console_pages;
mod console_roles;
mod login;
mod support;
mod usecases;
mod users;
mod users_api;

use pforte_admin::{AdminState, Operator};
use pforte_identity::operator_roles::Role;
use pforte_testkit::TestServer;
use std::collections::BTreeSet;

pub const PASSWORD: &str = "Correct-Horse-9-Battery";

/// The admin state of a running test server.
pub fn admin_state(server: &TestServer) -> AdminState {
    server.app.admin_state(server.app.web_state().unwrap())
}

/// An operator with these roles (as the console or API would build it).
pub fn operator(name: &str, roles: &[Role]) -> Operator {
    Operator {
        name: name.to_owned(),
        account: None,
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    }
}
