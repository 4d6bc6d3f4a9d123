//! Black-box conformance tests: the real provider binary, provisioned through
//! its CLI, against relying parties built with the `openidconnect` crate and a
//! real headless Chromium. The cases follow the OpenID Foundation conformance
//! suite's Basic OP, Config OP and RP-initiated logout plans (module names in
//! the test names), plus the OAuth RFCs the provider implements.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

mod support;

mod accessibility;
mod acr_rp;
mod admin_console;
mod authorize_errors;
mod backchannel_logout;
mod browser;
mod browser_lockout;
mod browser_webauthn;
mod cli;
mod clock;
mod cluster;
mod code_flow;
mod demo;
mod discovery;
mod initial_password;
mod introspection;
mod keyboard;
mod keys;
mod lockout;
mod lockout_race;
mod logout;
mod pages;
mod par;
mod pkce;
mod private_key_jwt;
mod prompt;
mod recovery_browser;
mod registration_browser;
mod scopes;
mod screenshots;
mod second_factor_browser;
mod token_endpoint;
