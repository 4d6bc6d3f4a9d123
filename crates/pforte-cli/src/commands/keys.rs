//! `pforte keys rotate`: a new signing key per algorithm becomes active; the
//! previous keys stay in the JWKS until every token they signed has expired
//! (issue 2). Every running provider on the same database picks the new keys
//! up within `keys.reload_interval_secs` (`pforte_server::app::KeyReload`,
//! R-OP-5).

use anyhow::Context;
use pforte_crypto::SigningAlg;
use pforte_oauth::OAuthError;
use std::path::Path;

pub async fn rotate(config: Option<&Path>) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    app.keys
        .rotate()
        .await
        .map_err(|error| anyhow::anyhow!("{}", operator_message(&error)))
        .context("key rotation failed")?;
    let keys = app.keys.current();
    for alg in SigningAlg::ALL {
        let key = keys
            .active(alg)
            .map_err(|error| anyhow::anyhow!("{}", operator_message(&error)))?;
        println!("{alg}\t{}", key.kid());
    }
    let overlap = app
        .settings
        .tokens
        .access_token_ttl_secs
        .max(app.settings.tokens.id_token_ttl_secs);
    eprintln!(
        "New signing keys are active. The previous keys stay in the JWKS for {overlap} s, until the tokens they signed have expired."
    );
    Ok(())
}

/// The detail an operator needs (the internal part; the public description
/// says only "internal error").
fn operator_message(error: &OAuthError) -> String {
    error
        .internal
        .clone()
        .unwrap_or_else(|| error.description.clone())
}
