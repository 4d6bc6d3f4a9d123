//! `GET /admin`: the console's home page, with a link to each screen the
//! operator's roles allow (R-OP-1). The screens check again.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pforte_identity::operator_roles::Permission;
use serde::Serialize;

use super::render;
use super::session::CurrentOperator;
use crate::state::AdminState;

/// One link of the dashboard: where, the catalog key of its label, and the
/// permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Link {
    pub href: &'static str,
    pub label: &'static str,
    #[serde(skip)]
    pub permission: Permission,
}

/// Every screen of the console, in the order shown. Screens of other parts
/// of the console are added here.
pub const LINKS: &[Link] = &[
    Link {
        href: "/admin/users",
        label: "admin_nav_users",
        permission: Permission::SearchUsers,
    },
    Link {
        href: "/admin/letters",
        label: "admin_nav_letters",
        permission: Permission::ViewLetters,
    },
    Link {
        href: "/admin/outbox",
        label: "admin_nav_outbox",
        permission: Permission::ViewOutbox,
    },
    Link {
        href: "/admin/clients",
        label: "admin_nav_clients",
        permission: Permission::ViewClients,
    },
    Link {
        href: "/admin/keys",
        label: "admin_nav_keys",
        permission: Permission::ViewKeys,
    },
    Link {
        href: "/admin/policies",
        label: "admin_nav_policies",
        permission: Permission::ViewPolicies,
    },
];

/// The links the operator may follow (and the outbox only when shown).
pub fn links_for(current: &CurrentOperator, show_outbox: bool) -> Vec<Link> {
    LINKS
        .iter()
        .filter(|link| current.operator.may(link.permission))
        .filter(|link| show_outbox || link.permission != Permission::ViewOutbox)
        .copied()
        .collect()
}

/// What every console page's layout shows: the operator, their roles, the
/// navigation and the logout form's CSRF token.
pub fn base_context(state: &AdminState, current: &CurrentOperator) -> tera::Context {
    let mut context = tera::Context::new();
    let roles: Vec<_> = current
        .operator
        .roles
        .iter()
        .map(|role| role.as_str())
        .collect();
    context.insert("operator_name", &current.operator.name);
    context.insert("operator_roles", &roles);
    context.insert("csrf_token", current.csrf_token());
    context.insert("nav", &links_for(current, state.console.show_outbox));
    context
}

pub async fn dashboard(
    State(state): State<AdminState>,
    current: CurrentOperator,
    headers: HeaderMap,
) -> Response {
    let context = base_context(&state, &current);
    render::page(&state, &headers, StatusCode::OK, "dashboard.html", &context)
}
