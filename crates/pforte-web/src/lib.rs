//! The HTTP face of Pforte for users and relying parties.
//!
//! Owns: the axum [`router`], thin protocol handlers over `pforte-oauth`, the
//! login pages (tera templates from `themes/`, German and English), cookies,
//! CSRF protection and security headers. Key types: [`AppState`], [`Pages`].
//!
//! Handlers only translate HTTP to calls of `pforte-oauth` / `pforte-identity`
//! and their results back to responses (DESIGN.md §2); no protocol or policy
//! decision is made here. Must not depend on sea-orm or pforte-store.

pub mod pages;
pub mod state;

pub use pages::Pages;
pub use state::{AppState, WebSettings};

/// Every route of the provider, with the security layers applied.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().with_state(state)
}
