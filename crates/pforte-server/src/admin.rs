//! The admin console in the composition root (R-OP-1, ADR 0006): the
//! built-in client `pforte-admin` made sure at start-up, and the console's
//! state for `pforte_admin::router`.

use crate::app::{App, ServerError};
use pforte_admin::console::client::{ADMIN_CLIENT_ID, redirect_uri};
use pforte_admin::state::ConsoleSettings;
use pforte_crypto::SigningAlg;
use pforte_oauth::model::{ApplicationType, Client, ClientAuthMethod, GrantType};
use pforte_oauth::ports::ClientStore;
use std::time::Duration;

/// The console's settings from `[admin]` and the policy's levels.
pub fn console_settings(app: &App) -> ConsoleSettings {
    let admin = &app.settings.admin;
    let assurance = &app.policy.assurance;
    ConsoleSettings {
        required_acr: crate::config::admin_required_acr(admin, assurance).unwrap_or_default(),
        acr_levels: assurance.level_names(),
        idle_timeout: Duration::from_secs(admin.idle_timeout_secs),
        absolute_timeout: Duration::from_secs(admin.absolute_timeout_secs),
        show_outbox: admin.show_outbox,
    }
}

/// The client as it must be: public, PKCE, code grant only, its one
/// redirect URI, and the required level as default and minimum.
fn wanted_client(app: &App, created_at: chrono::DateTime<chrono::Utc>) -> Client {
    let required = console_settings(app).required_acr;
    Client {
        client_id: ADMIN_CLIENT_ID.to_owned(),
        name: Some("Pforte admin console".to_owned()),
        secret_digest: None,
        auth_method: ClientAuthMethod::None,
        jwks: None,
        redirect_uris: vec![redirect_uri(&app.settings.issuer)],
        post_logout_redirect_uris: Vec::new(),
        application_type: ApplicationType::Web,
        require_par: false,
        require_pkce: true,
        grant_types: vec![GrantType::AuthorizationCode],
        extra_scopes: Vec::new(),
        id_token_alg: SigningAlg::RS256,
        default_acr_values: vec![required.clone()],
        minimum_acr: Some(required),
        logout: Default::default(),
        brand: None,
        created_at,
    }
}

/// Creates the console's client, or replaces it when its settings differ
/// (another issuer or required level). Does nothing with `[admin] enabled =
/// false`.
pub async fn ensure_admin_client(app: &App) -> Result<(), ServerError> {
    if !app.settings.admin.enabled {
        return Ok(());
    }
    let existing = app.store.get_client(ADMIN_CLIENT_ID).await?;
    let created_at = existing
        .as_ref()
        .map_or_else(|| app.clock.now(), |client| client.created_at);
    let wanted = wanted_client(app, created_at);
    match existing {
        Some(client) if client == wanted => return Ok(()),
        Some(_) => {
            app.store.remove_client(ADMIN_CLIENT_ID).await?;
        }
        None => {}
    }
    app.store.insert_client(&wanted).await?;
    tracing::info!(
        client_id = ADMIN_CLIENT_ID,
        "admin console client brought up to date"
    );
    Ok(())
}
