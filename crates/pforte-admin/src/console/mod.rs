//! The admin console: server-rendered, themed pages under `/admin` (R-OP-1).
//!
//! Operators log in through Pforte itself ([`login`], [`client`]); every page
//! takes the [`session::CurrentOperator`] extractor and renders through
//! [`render::page`].

pub mod client;
pub mod clients;
pub mod dashboard;
pub mod keys;
pub mod login;
pub mod mail;
pub mod policies;
pub mod render;
pub mod session;
pub mod users;

pub mod views;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AdminState;

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route(client::HOME_PATH, get(dashboard::dashboard))
        .route(client::LOGIN_PATH, get(login::login_get))
        .route(client::CALLBACK_PATH, get(login::callback_get))
        .route(client::LOGOUT_PATH, post(login::logout_post))
        .route(mail::LETTERS_PATH, get(mail::letters_get))
        .route(mail::OUTBOX_PATH, get(mail::outbox_get))
        .route(users::USERS_PATH, get(users::search))
        .route("/admin/users/{username}", get(users::detail))
        .route("/admin/users/{username}/unlock", post(users::unlock))
        .route(
            "/admin/users/{username}/reactivate",
            post(users::reactivate),
        )
        .route(
            "/admin/users/{username}/password-reset",
            post(users::password_reset),
        )
        .route(
            "/admin/users/{username}/activation-letter",
            post(users::activation_letter),
        )
        .route(views::CLIENTS_PATH, get(clients::list))
        .route(
            "/admin/clients/new",
            get(clients::new_form).post(clients::create),
        )
        .route(
            "/admin/clients/{client_id}",
            get(clients::detail).post(clients::update),
        )
        .route(
            "/admin/clients/{client_id}/secret",
            post(clients::new_secret),
        )
        .route(views::KEYS_PATH, get(keys::list))
        .route("/admin/keys/rotate", post(keys::rotate))
        .route(views::POLICIES_PATH, get(policies::show))
        .route("/admin/policies/validate", post(policies::validate))
}
