//! Relying parties in the admin console and API (R-OP-1, R-AC-2): list,
//! show, create, edit, new secret.
//!
//! Every function checks one permission first. What a valid registration is
//! decides `pforte_oauth::registration` (the same rules as `pforte client
//! add`). Secrets are generated with 256 bits of entropy, stored only as
//! digests (ADR 0002) and returned exactly once, by the call that made them;
//! no view ever carries a secret or its digest. Changes go through the
//! provider's own client store, so the client cache drops the old record and
//! the change takes effect at once on this node.

use chrono::{DateTime, Utc};
use pforte_crypto::random::random_token;
use pforte_identity::RequestContext;
use pforte_identity::audit::AuditKind;
use pforte_identity::operator_roles::Permission;
use pforte_oauth::model::{ApplicationType, Client, ClientAuthMethod, GrantType, LogoutEndpoints};
use pforte_oauth::registration;
use pforte_types::StoreError;

use crate::error::AdminError;
use crate::operator::Operator;
use crate::state::AdminState;

/// A client as an operator sees it: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClientView {
    pub client_id: String,
    pub name: Option<String>,
    pub auth_method: String,
    pub application_type: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub require_pkce: bool,
    pub require_par: bool,
    pub default_acr_values: Vec<String>,
    pub minimum_acr: Option<String>,
    /// The brand whose look the pages of this client have (R-OP-2).
    pub brand: Option<String>,
    /// Whether a secret is registered (never the secret).
    pub has_secret: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&Client> for ClientView {
    fn from(client: &Client) -> Self {
        Self {
            client_id: client.client_id.clone(),
            name: client.name.clone(),
            auth_method: client.auth_method.as_str().to_owned(),
            application_type: client.application_type.as_str().to_owned(),
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            grant_types: client
                .grant_types
                .iter()
                .map(|grant| grant.as_str().to_owned())
                .collect(),
            scopes: client.extra_scopes.clone(),
            require_pkce: client.require_pkce,
            require_par: client.require_par,
            default_acr_values: client.default_acr_values.clone(),
            minimum_acr: client.minimum_acr.clone(),
            brand: client.brand.clone(),
            has_secret: client.secret_digest.is_some(),
            created_at: client.created_at,
        }
    }
}

/// What an operator fills in to register a client.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NewClient {
    pub client_id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `web` (default) or `native`.
    #[serde(default)]
    pub application_type: Option<String>,
    /// `client_secret_basic` (default), `client_secret_post` or `none`.
    #[serde(default)]
    pub auth_method: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Default: authorization_code and refresh_token.
    #[serde(default)]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub default_acr_values: Vec<String>,
    #[serde(default)]
    pub minimum_acr: Option<String>,
    #[serde(default)]
    pub require_par: bool,
    /// A brand of the themes in use (R-OP-2); none: the default look.
    #[serde(default)]
    pub brand: Option<String>,
}

/// What an operator may change; the client id stays (R-OP-1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub auth_method: String,
    #[serde(default)]
    pub default_acr_values: Vec<String>,
    #[serde(default)]
    pub minimum_acr: Option<String>,
    #[serde(default)]
    pub require_par: bool,
    #[serde(default)]
    pub brand: Option<String>,
}

/// A client with the secret made by this call, if any: shown once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WithSecret {
    pub client: ClientView,
    pub client_secret: Option<String>,
}

/// Every registered client, by id (R-OP-1).
pub async fn list_clients(
    state: &AdminState,
    operator: &Operator,
) -> Result<Vec<ClientView>, AdminError> {
    operator.require(Permission::ViewClients)?;
    let mut clients = state.web.oauth.clients().list_clients().await?;
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(clients.iter().map(ClientView::from).collect())
}

/// One client (R-OP-1).
pub async fn show_client(
    state: &AdminState,
    operator: &Operator,
    client_id: &str,
) -> Result<ClientView, AdminError> {
    operator.require(Permission::ViewClients)?;
    Ok(ClientView::from(&stored(state, client_id).await?))
}

/// Registers a client; a secret client gets a generated secret, returned
/// here once (ADR 0002).
pub async fn create_client(
    state: &AdminState,
    operator: &Operator,
    context: RequestContext,
    new: NewClient,
) -> Result<WithSecret, AdminError> {
    operator.require(Permission::ManageClients)?;
    let application_type = match new.application_type.as_deref() {
        None | Some("") => ApplicationType::Web,
        Some(name) => ApplicationType::parse(name)
            .ok_or_else(|| AdminError::Invalid(format!("application_type: unknown {name:?}")))?,
    };
    let auth_method = auth_method(new.auth_method.as_deref())?;
    let mut grant_types = Vec::new();
    for name in &new.grant_types {
        let grant = GrantType::parse(name)
            .ok_or_else(|| AdminError::Invalid(format!("grant_types: unknown {name:?}")))?;
        if !grant_types.contains(&grant) {
            grant_types.push(grant);
        }
    }
    if grant_types.is_empty() {
        grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    }
    let secret = auth_method.uses_secret().then(random_token);
    let client = Client {
        client_id: new.client_id.trim().to_owned(),
        name: non_empty(new.name),
        secret_digest: secret
            .as_deref()
            .map(|secret| state.web.oauth.secrets().digest(secret)),
        auth_method,
        jwks: None,
        redirect_uris: cleaned(new.redirect_uris),
        post_logout_redirect_uris: cleaned(new.post_logout_redirect_uris),
        application_type,
        require_par: new.require_par,
        // RFC 9700 2.1.1: mandatory for public clients.
        require_pkce: auth_method == ClientAuthMethod::None,
        grant_types,
        extra_scopes: cleaned(new.scopes),
        id_token_alg: pforte_crypto::SigningAlg::RS256,
        default_acr_values: cleaned(new.default_acr_values),
        minimum_acr: non_empty(new.minimum_acr),
        logout: LogoutEndpoints::default(),
        brand: non_empty(new.brand),
        created_at: state.web.clock.now(),
    };
    check(state, &client)?;
    match state.web.oauth.clients().insert_client(&client).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(AdminError::Invalid(format!(
                "client_id: {:?} is already registered",
                client.client_id
            )));
        }
        Err(error) => return Err(error.into()),
    }
    state
        .web
        .identity
        .audit_operator_action(
            AuditKind::ClientCreated,
            Some(&client.client_id),
            Some(format!("auth_method={}", client.auth_method.as_str())),
            &operator.context(context),
        )
        .await?;
    Ok(WithSecret {
        client: ClientView::from(&client),
        client_secret: secret,
    })
}

/// Changes a client's registration. Switching to a secret method generates
/// a secret (returned once); switching to `none` drops it and requires PKCE.
pub async fn update_client(
    state: &AdminState,
    operator: &Operator,
    context: RequestContext,
    client_id: &str,
    changes: ClientChanges,
) -> Result<WithSecret, AdminError> {
    operator.require(Permission::ManageClients)?;
    let before = stored(state, client_id).await?;
    let mut client = before.clone();
    client.name = non_empty(changes.name);
    client.redirect_uris = cleaned(changes.redirect_uris);
    client.post_logout_redirect_uris = cleaned(changes.post_logout_redirect_uris);
    client.default_acr_values = cleaned(changes.default_acr_values);
    client.minimum_acr = non_empty(changes.minimum_acr);
    client.require_par = changes.require_par;
    client.brand = non_empty(changes.brand);
    client.auth_method = auth_method(Some(&changes.auth_method))?;
    let mut secret = None;
    if client.auth_method.uses_secret() && client.secret_digest.is_none() {
        let new = random_token();
        client.secret_digest = Some(state.web.oauth.secrets().digest(&new));
        secret = Some(new);
    }
    if !client.auth_method.uses_secret() {
        client.secret_digest = None;
    }
    if client.auth_method == ClientAuthMethod::None {
        client.require_pkce = true;
    }
    check(state, &client)?;
    if !state.web.oauth.clients().update_client(&client).await? {
        return Err(AdminError::NotFound(client_id.to_owned()));
    }
    state
        .web
        .identity
        .audit_operator_action(
            AuditKind::ClientUpdated,
            Some(client_id),
            Some(format!(
                "changed={}",
                changed_fields(&before, &client).join(",")
            )),
            &operator.context(context),
        )
        .await?;
    Ok(WithSecret {
        client: ClientView::from(&client),
        client_secret: secret,
    })
}

/// Replaces the secret of a secret client; the old one stops working at once
/// on this node. Returns the new secret, shown once.
pub async fn new_client_secret(
    state: &AdminState,
    operator: &Operator,
    context: RequestContext,
    client_id: &str,
) -> Result<WithSecret, AdminError> {
    operator.require(Permission::ManageClients)?;
    let mut client = stored(state, client_id).await?;
    if !client.auth_method.uses_secret() {
        return Err(AdminError::Invalid(format!(
            "auth_method: a {} client has no secret",
            client.auth_method.as_str()
        )));
    }
    let secret = random_token();
    client.secret_digest = Some(state.web.oauth.secrets().digest(&secret));
    if !state.web.oauth.clients().update_client(&client).await? {
        return Err(AdminError::NotFound(client_id.to_owned()));
    }
    state
        .web
        .identity
        .audit_operator_action(
            AuditKind::ClientSecretRotated,
            Some(client_id),
            None,
            &operator.context(context),
        )
        .await?;
    Ok(WithSecret {
        client: ClientView::from(&client),
        client_secret: Some(secret),
    })
}

async fn stored(state: &AdminState, client_id: &str) -> Result<Client, AdminError> {
    state
        .web
        .oauth
        .clients()
        .get_client(client_id)
        .await?
        .ok_or_else(|| AdminError::NotFound(client_id.to_owned()))
}

/// The shared registration rules and the brands of the themes in use;
/// every problem, one per line.
fn check(state: &AdminState, client: &Client) -> Result<(), AdminError> {
    let mut problems = registration::problems(client, &state.web.oauth.config().acr_levels);
    if let Some(brand) = &client.brand
        && !state.brands.iter().any(|known| known == brand)
    {
        problems.push(format!(
            "brand: {brand:?} is not a brand of the themes in use (known: {})",
            state.brands.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AdminError::Invalid(problems.join("\n")))
    }
}

/// The methods an operator can choose in the console; private_key_jwt
/// needs a key set and is registered with `pforte client add --jwks-file`.
fn auth_method(name: Option<&str>) -> Result<ClientAuthMethod, AdminError> {
    match name {
        None | Some("") => Ok(ClientAuthMethod::ClientSecretBasic),
        Some(name) => match ClientAuthMethod::parse(name) {
            Some(method) if method != ClientAuthMethod::PrivateKeyJwt => Ok(method),
            Some(_) => Err(AdminError::Invalid(
                "auth_method: private_key_jwt clients are registered with pforte client add --jwks-file"
                    .to_owned(),
            )),
            None => Err(AdminError::Invalid(format!("auth_method: unknown {name:?}"))),
        },
    }
}

/// Trimmed, without empty entries and duplicates, in the order given.
fn cleaned(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let value = value.trim();
        if !value.is_empty() && !out.iter().any(|kept| kept == value) {
            out.push(value.to_owned());
        }
    }
    out
}

fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The names of the fields an edit changed, for the audit detail.
fn changed_fields(before: &Client, after: &Client) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut note = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    note("name", before.name != after.name);
    note("redirect_uris", before.redirect_uris != after.redirect_uris);
    note(
        "post_logout_redirect_uris",
        before.post_logout_redirect_uris != after.post_logout_redirect_uris,
    );
    note("auth_method", before.auth_method != after.auth_method);
    note(
        "default_acr_values",
        before.default_acr_values != after.default_acr_values,
    );
    note("minimum_acr", before.minimum_acr != after.minimum_acr);
    note("require_par", before.require_par != after.require_par);
    note("brand", before.brand != after.brand);
    if changed.is_empty() {
        changed.push("none");
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaned_trims_and_drops_empty_and_repeated_values() {
        let values = vec![
            " https://a.example/cb ".to_owned(),
            String::new(),
            "https://a.example/cb".to_owned(),
            "https://b.example/cb".to_owned(),
        ];
        assert_eq!(
            cleaned(values),
            vec!["https://a.example/cb", "https://b.example/cb"]
        );
    }

    #[test]
    fn r_op_1_private_key_jwt_is_not_offered_in_the_console() {
        assert!(matches!(
            auth_method(Some("private_key_jwt")),
            Err(AdminError::Invalid(_))
        ));
        assert_eq!(
            auth_method(None).ok(),
            Some(ClientAuthMethod::ClientSecretBasic)
        );
        assert_eq!(auth_method(Some("none")).ok(), Some(ClientAuthMethod::None));
    }
}
