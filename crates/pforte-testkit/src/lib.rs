//! Test support for Pforte (never linked into the server).
//!
//! Owns: [`TestServer`], the real application on `127.0.0.1:0` over a temporary
//! data directory (SQLite file, generated master key) with a [`ManualClock`]
//! the test moves instead of sleeping (DESIGN.md §7); and [`Browser`], an HTTP
//! client with a cookie jar that does not follow redirects by itself and fills
//! forms by their labels ([`html`]).
//!
//! Depends on pforte-server (composition root) and the stores; nothing depends on
//! it except tests.

pub mod browser;
pub mod html;
pub mod server;

pub use browser::{Browser, Page};
pub use html::Form;
pub use server::{TestClient, TestServer};
