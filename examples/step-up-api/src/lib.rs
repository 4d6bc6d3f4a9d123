//! An example resource server for Pforte: it accepts Pforte's JWT access
//! tokens (RFC 9068) and asks for a stronger or fresher login with the step-up
//! challenge of RFC 9470 when a route needs more (R-AC-3).
//!
//! `GET /api/profile` needs any valid token; `GET /api/health-documents`
//! (documents with diagnoses) needs the configured level and a recent
//! authentication. See `docs/integration/step-up.md` for the whole round trip.
//!
//! The decision ([`decision`]), the token check ([`token`]) and the challenge
//! header ([`challenge`]) are pure; [`provider`] and [`app`] do the I/O.

pub mod app;
pub mod challenge;
pub mod config;
pub mod decision;
pub mod provider;
pub mod token;

use app::{AppState, Clock};
use config::Config;
use decision::Requirement;
use provider::{Provider, ProviderError};

/// Discovers the provider, loads its keys and builds the router: everything
/// but binding the socket, so tests can serve it on port 0.
pub async fn build(config: &Config, clock: Clock) -> Result<axum::Router, ProviderError> {
    let client = provider::http_client().map_err(|source| ProviderError::Http {
        url: config.issuer.clone(),
        source,
    })?;
    let provider = Provider::discover(client, &config.issuer).await?;
    provider.check_level(&config.required_acr)?;
    tracing::info!(
        issuer = %provider.issuer,
        levels = ?provider.levels.names(),
        "provider discovered"
    );
    Ok(app::router(AppState {
        provider,
        audience: config.audience.clone(),
        health_documents: Requirement {
            acr: Some(config.required_acr.clone()),
            max_age: Some(config.max_age_secs),
        },
        clock,
    }))
}
