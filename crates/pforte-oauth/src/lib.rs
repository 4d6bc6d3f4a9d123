//! The OpenID Connect / OAuth 2 protocol core of Pforte, without HTTP types.
//!
//! Owns: the authorization pipeline ([`authorize`]), PAR (RFC 9126), the token
//! endpoint grants, client authentication, ID and access token issuance,
//! userinfo, introspection (RFC 7662), revocation (RFC 7009), RP-initiated
//! logout and the logout notifications to RPs (back-channel logout tokens,
//! front-channel URIs), discovery and the signing keys in force ([`keys`]).
//! Key types: [`Provider`], [`OAuthError`], [`AuthorizeOutcome`]. It defines
//! its storage ports ([`ports`]); pforte-store implements them.
//!
//! Must not depend on axum, tera, sea-orm, reqwest or pforte-identity
//! (DESIGN.md §2): it meets the login flow only through
//! `pforte_types::AuthTarget` / `AuthResult` and returns enums, not responses.

pub mod access_token;
pub mod authorize;
pub mod backchannel_logout;
pub mod client_assertion;
pub mod client_auth;
pub mod config;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod frontchannel_logout;
pub mod grants;
pub mod id_token;
mod id_token_hint;
pub mod introspection;
pub mod keys;
pub mod model;
pub mod par;
pub mod params;
pub mod ports;
pub mod provider;
pub mod registration;
pub mod released_claims;
pub mod resource;
pub mod revocation;
pub mod session_status;
pub mod token;
pub mod userinfo;

pub use authorize::{
    AuthorizationResponse, AuthorizeOutcome, ConsentDecision, InteractionRequired,
    PendingAuthorization, ResponseMode,
};
pub use client_auth::ClientEndpoint;
pub use config::ProviderConfig;
pub use end_session::LogoutOutcome;
pub use error::{ErrorCode, OAuthError};
pub use keys::{KeyManager, KeySet};
pub use par::ParResponse;
pub use params::Params;
pub use provider::{Provider, ProviderPorts};
pub use token::TokenResponse;
