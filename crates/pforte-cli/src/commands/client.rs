//! `pforte client add | list | remove`.
//!
//! Registration rules live in [`plan`], a pure function: public clients
//! (`none`) always require PKCE (RFC 9700 2.1.1) and may not use
//! client_credentials (RFC 6749 4.4); secrets are generated with 256 bits of
//! entropy unless given, and stored only as digests (ADR 0002);
//! private_key_jwt clients register public keys only.

use crate::args::ClientAddArgs;
use crate::rules::{fields, jwks, logout_uri, redirect_uri};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use pforte_crypto::SecretDigester;
use pforte_crypto::random::random_token;
use pforte_oauth::model::{ApplicationType, Client, ClientAuthMethod, GrantType, LogoutEndpoints};
use pforte_oauth::ports::ClientStore;
use pforte_types::StoreError;
use std::path::Path;

/// A checked client record, and its secret in clear until it is digested.
#[derive(Debug)]
pub struct Planned {
    /// `secret_digest` is still `None`: see [`Planned::seal`].
    pub client: Client,
    secret: Option<String>,
    secret_generated: bool,
}

impl Planned {
    /// Stores the secret as a digest (ADR 0002) and returns the client with
    /// the secret to show: `Some` only for a generated one, printed once.
    pub fn seal(self, digester: &SecretDigester) -> (Client, Option<String>) {
        let mut client = self.client;
        client.secret_digest = self.secret.as_deref().map(|s| digester.digest(s));
        let shown = if self.secret_generated {
            self.secret
        } else {
            None
        };
        (client, shown)
    }
}

/// Checks the arguments and builds the client record, before anything is
/// opened, so that bad input changes nothing. `jwks` is the parsed content of
/// `--jwks-file`.
pub fn plan(
    args: &ClientAddArgs,
    jwks: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<Planned, String> {
    fields::client_id(&args.id)?;
    if let Some(name) = &args.name {
        fields::display_name(name)?;
    }
    let auth_method = ClientAuthMethod::from(args.auth_method);
    let application_type = ApplicationType::from(args.application_type);

    let mut grant_types: Vec<GrantType> = Vec::new();
    for grant in &args.grant_types {
        let grant = GrantType::from(*grant);
        if !grant_types.contains(&grant) {
            grant_types.push(grant);
        }
    }
    if grant_types.is_empty() {
        grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    }
    if auth_method == ClientAuthMethod::None && grant_types.contains(&GrantType::ClientCredentials)
    {
        return Err(
            "--grant-type client_credentials needs a confidential client (RFC 6749 4.4); choose another --auth-method"
                .to_owned(),
        );
    }

    if grant_types.contains(&GrantType::AuthorizationCode) && args.redirect_uris.is_empty() {
        return Err("--redirect-uri is required for the authorization_code grant".to_owned());
    }
    let mut redirect_uris = Vec::new();
    for uri in &args.redirect_uris {
        redirect_uri::check(uri, application_type).map_err(|e| format!("--redirect-uri {e}"))?;
        if !redirect_uris.contains(uri) {
            redirect_uris.push(uri.clone());
        }
    }
    let mut post_logout_redirect_uris = Vec::new();
    for uri in &args.post_logout_redirect_uris {
        redirect_uri::check(uri, application_type)
            .map_err(|e| format!("--post-logout-redirect-uri {e}"))?;
        if !post_logout_redirect_uris.contains(uri) {
            post_logout_redirect_uris.push(uri.clone());
        }
    }

    let mut extra_scopes: Vec<String> = Vec::new();
    for scope in &args.scopes {
        fields::scope(scope)?;
        if !extra_scopes.contains(scope) {
            extra_scopes.push(scope.clone());
        }
    }

    let mut default_acr_values: Vec<String> = Vec::new();
    for level in &args.default_acr_values {
        fields::acr("--default-acr", level)?;
        if !default_acr_values.contains(level) {
            default_acr_values.push(level.clone());
        }
    }
    if let Some(level) = &args.minimum_acr {
        fields::acr("--minimum-acr", level)?;
    }

    if let Some(brand) = &args.brand {
        fields::brand(brand)?;
    }

    let logout = logout_endpoints(args, &redirect_uris)?;

    let (secret, secret_generated) = if auth_method.uses_secret() {
        match &args.secret {
            Some(secret) => {
                fields::client_secret(secret)?;
                (Some(secret.clone()), false)
            }
            None => (Some(random_token()), true),
        }
    } else {
        if args.secret.is_some() {
            return Err(format!(
                "--secret: a {} client has no secret",
                auth_method.as_str()
            ));
        }
        (None, false)
    };

    match (auth_method, &jwks) {
        (ClientAuthMethod::PrivateKeyJwt, None) => {
            return Err("--auth-method private_key_jwt needs --jwks-file".to_owned());
        }
        (ClientAuthMethod::PrivateKeyJwt, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            return Err("--jwks-file is only for --auth-method private_key_jwt".to_owned());
        }
    }

    let client = Client {
        client_id: args.id.clone(),
        name: args.name.clone(),
        secret_digest: None,
        auth_method,
        jwks,
        redirect_uris,
        post_logout_redirect_uris,
        application_type,
        require_par: args.require_par,
        // RFC 9700 2.1.1: mandatory for public clients.
        require_pkce: auth_method == ClientAuthMethod::None,
        grant_types,
        extra_scopes,
        id_token_alg: args.id_token_alg.into(),
        default_acr_values,
        minimum_acr: args.minimum_acr.clone(),
        brand: args.brand.clone(),
        logout,
        created_at: now,
    };
    Ok(Planned {
        client,
        secret,
        secret_generated,
    })
}

/// The logout notification endpoints (R-SE-2): each URI checked by
/// [`logout_uri`]; a `…-session-required` flag needs its URI.
fn logout_endpoints(
    args: &ClientAddArgs,
    redirect_uris: &[String],
) -> Result<LogoutEndpoints, String> {
    if let Some(uri) = &args.backchannel_logout_uri {
        logout_uri::backchannel(uri).map_err(|e| format!("--backchannel-logout-uri {e}"))?;
    } else if args.backchannel_logout_session_required {
        return Err(
            "--backchannel-logout-session-required needs --backchannel-logout-uri".to_owned(),
        );
    }
    if let Some(uri) = &args.frontchannel_logout_uri {
        logout_uri::frontchannel(uri, redirect_uris)
            .map_err(|e| format!("--frontchannel-logout-uri {e}"))?;
    } else if args.frontchannel_logout_session_required {
        return Err(
            "--frontchannel-logout-session-required needs --frontchannel-logout-uri".to_owned(),
        );
    }
    Ok(LogoutEndpoints {
        backchannel_uri: args.backchannel_logout_uri.clone(),
        backchannel_session_required: args.backchannel_logout_session_required,
        frontchannel_uri: args.frontchannel_logout_uri.clone(),
        frontchannel_session_required: args.frontchannel_logout_session_required,
    })
}

/// The client's levels must be levels of the policy in force (R-AC-1): the
/// protocol core would otherwise ignore an unknown default and refuse every
/// login for an unknown minimum.
pub fn known_levels(client: &Client, levels: &[String]) -> Result<(), String> {
    let flagged = client
        .default_acr_values
        .iter()
        .map(|level| ("--default-acr", level))
        .chain(
            client
                .minimum_acr
                .iter()
                .map(|level| ("--minimum-acr", level)),
        );
    for (flag, level) in flagged {
        if !levels.contains(level) {
            return Err(format!(
                "{flag}: {level:?} is not an assurance level of the policy (known: {})",
                levels.join(", ")
            ));
        }
    }
    Ok(())
}

/// A client's brand must be a brand folder of the themes in use (R-OP-2):
/// `base` or a folder with a `theme.toml`. At run time an unknown brand
/// falls back to the default; here it is refused before anything is stored.
pub fn known_brand(themes_dir: &Path, brand: &str) -> Result<(), String> {
    let folder = themes_dir.join(brand);
    let is_brand = folder.join(if brand == "base" {
        "templates"
    } else {
        "theme.toml"
    });
    if is_brand.exists() {
        Ok(())
    } else {
        Err(format!(
            "--brand: {brand:?} is not a brand of {} (no {})",
            themes_dir.display(),
            is_brand.display()
        ))
    }
}

pub async fn add(config: Option<&Path>, args: ClientAddArgs) -> anyhow::Result<()> {
    let jwks = match &args.jwks_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--jwks-file: cannot read {}", path.display()))?;
            Some(jwks::parse_public_jwks(&text).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let planned = plan(&args, jwks, chrono::Utc::now()).map_err(anyhow::Error::msg)?;
    let app = super::open_app(config).await?;
    let levels = app.policy.assurance.level_names();
    known_levels(&planned.client, &levels).map_err(anyhow::Error::msg)?;
    if let Some(brand) = &planned.client.brand {
        known_brand(&app.settings.themes_dir, brand).map_err(anyhow::Error::msg)?;
    }
    let (mut client, shown_secret) = planned.seal(&app.secrets);
    client.created_at = app.clock.now();
    // The same rules as the admin console's (one place decides, R-OP-1).
    pforte_oauth::registration::validate(&client, &levels)
        .map_err(|problems| anyhow::Error::msg(problems.join("\n")))?;
    match app.store.insert_client(&client).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => bail!("a client with id {:?} already exists", args.id),
        Err(error) => return Err(error).context("cannot store the client"),
    }
    println!("client_id: {}", client.client_id);
    match shown_secret {
        Some(secret) => {
            println!("client_secret: {secret}");
            eprintln!(
                "Client added. Note the secret now: only its digest is stored, it cannot be shown again."
            );
        }
        None => eprintln!("Client added."),
    }
    Ok(())
}

pub async fn list(config: Option<&Path>) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    let mut clients = app.store.list_clients().await?;
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    println!(
        "CLIENT_ID\tAUTH_METHOD\tTYPE\tPKCE\tPAR\tID_TOKEN_ALG\tGRANT_TYPES\tSCOPES\tREDIRECT_URIS\tNAME"
    );
    for client in clients {
        let grants: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            client.client_id,
            client.auth_method.as_str(),
            client.application_type.as_str(),
            if client.require_pkce {
                "required"
            } else {
                "optional"
            },
            if client.require_par {
                "required"
            } else {
                "optional"
            },
            client.id_token_alg,
            grants.join(","),
            dash_if_empty(&client.extra_scopes.join(",")),
            dash_if_empty(&client.redirect_uris.join(",")),
            client.name.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}

fn dash_if_empty(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

pub async fn remove(config: Option<&Path>, id: &str) -> anyhow::Result<()> {
    let app = super::open_app(config).await?;
    if app.store.remove_client(id).await? {
        println!("client {id} removed");
        Ok(())
    } else {
        bail!("no client with id {id:?}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::args::{ApplicationTypeArg, AuthMethodArg, GrantTypeArg, IdTokenAlgArg};
    use pforte_crypto::{MasterKey, SigningAlg};

    fn args() -> ClientAddArgs {
        ClientAddArgs {
            id: "portal".to_owned(),
            secret: None,
            redirect_uris: vec!["https://portal.example/cb".to_owned()],
            post_logout_redirect_uris: Vec::new(),
            auth_method: AuthMethodArg::ClientSecretBasic,
            jwks_file: None,
            application_type: ApplicationTypeArg::Web,
            require_par: false,
            name: None,
            grant_types: Vec::new(),
            scopes: Vec::new(),
            id_token_alg: IdTokenAlgArg::RS256,
            default_acr_values: Vec::new(),
            minimum_acr: None,
            brand: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
        }
    }

    fn digester() -> SecretDigester {
        SecretDigester::new(&MasterKey::generate())
    }

    #[derive(Debug)]
    struct Sealed {
        client: Client,
        generated_secret: Option<String>,
    }

    fn run(args: &ClientAddArgs, jwks: Option<serde_json::Value>) -> Result<Sealed, String> {
        plan_sealed(args, jwks, &digester())
    }

    fn plan_sealed(
        args: &ClientAddArgs,
        jwks: Option<serde_json::Value>,
        digester: &SecretDigester,
    ) -> Result<Sealed, String> {
        let (client, generated_secret) = plan(args, jwks, Utc::now())?.seal(digester);
        Ok(Sealed {
            client,
            generated_secret,
        })
    }

    #[test]
    fn adr_0002_generated_secret_is_shown_once_and_stored_as_digest() {
        let digester = digester();
        let planned = plan_sealed(&args(), None, &digester).unwrap();
        let secret = planned.generated_secret.unwrap();
        assert_eq!(secret.len(), 43, "256 bits, base64url");
        let digest = planned.client.secret_digest.unwrap();
        assert!(!digest.contains(&secret));
        assert!(digester.verify(&secret, &digest));
    }

    #[test]
    fn adr_0002_given_secret_is_digested_and_not_returned() {
        let digester = digester();
        let given = "0123456789abcdef0123456789abcdef";
        let mut args = args();
        args.secret = Some(given.to_owned());
        let planned = plan_sealed(&args, None, &digester).unwrap();
        assert!(planned.generated_secret.is_none());
        assert!(digester.verify(given, &planned.client.secret_digest.unwrap()));
        args.secret = Some("short".to_owned());
        assert!(run(&args, None).is_err());
    }

    #[test]
    fn defaults_are_authorization_code_and_refresh_token_rs256_confidential() {
        let client = run(&args(), None).unwrap().client;
        assert_eq!(
            client.grant_types,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(client.auth_method, ClientAuthMethod::ClientSecretBasic);
        assert_eq!(client.id_token_alg, SigningAlg::RS256);
        assert!(!client.require_pkce);
        assert!(!client.require_par);
    }

    #[test]
    fn rfc9700_2_1_1_public_clients_require_pkce_and_have_no_secret() {
        let mut args = args();
        args.auth_method = AuthMethodArg::None;
        args.application_type = ApplicationTypeArg::Native;
        args.redirect_uris = vec!["com.example.app:/cb".to_owned()];
        let planned = run(&args, None).unwrap();
        assert!(planned.client.require_pkce);
        assert!(planned.client.secret_digest.is_none());
        assert!(planned.generated_secret.is_none());
        args.secret = Some("x".repeat(40));
        assert!(run(&args, None).unwrap_err().contains("no secret"));
    }

    #[test]
    fn rfc6749_4_4_public_clients_cannot_use_client_credentials() {
        let mut args = args();
        args.auth_method = AuthMethodArg::None;
        args.grant_types = vec![GrantTypeArg::ClientCredentials];
        assert!(run(&args, None).unwrap_err().contains("client_credentials"));
    }

    #[test]
    fn client_credentials_only_clients_need_no_redirect_uri() {
        let mut args = args();
        args.redirect_uris.clear();
        assert!(run(&args, None).unwrap_err().contains("--redirect-uri"));
        args.grant_types = vec![GrantTypeArg::ClientCredentials];
        let client = run(&args, None).unwrap().client;
        assert_eq!(client.grant_types, vec![GrantType::ClientCredentials]);
    }

    #[test]
    fn rfc7523_private_key_jwt_needs_keys_and_keys_need_private_key_jwt() {
        let mut args = args();
        args.auth_method = AuthMethodArg::PrivateKeyJwt;
        assert!(run(&args, None).unwrap_err().contains("--jwks-file"));
        let keys = serde_json::json!({"keys": [{"kty": "EC"}]});
        let client = run(&args, Some(keys.clone())).unwrap().client;
        assert_eq!(client.jwks, Some(keys.clone()));
        assert!(client.secret_digest.is_none());
        args.auth_method = AuthMethodArg::ClientSecretPost;
        assert!(run(&args, Some(keys)).unwrap_err().contains("only for"));
    }

    #[test]
    fn rfc9700_redirect_uris_are_checked_and_named_in_the_error() {
        let mut args = args();
        args.redirect_uris = vec!["http://portal.example/cb".to_owned()];
        let error = run(&args, None).unwrap_err();
        assert!(error.contains("http://portal.example/cb"), "{error}");
        let mut args = self::args();
        args.post_logout_redirect_uris = vec!["https://portal.example/#x".to_owned()];
        assert!(
            run(&args, None)
                .unwrap_err()
                .contains("--post-logout-redirect-uri")
        );
    }

    #[test]
    fn flags_are_carried_into_the_record() {
        let mut args = args();
        args.require_par = true;
        args.name = Some("Kundenportal".to_owned());
        args.scopes = vec!["claims:read".to_owned(), "claims:read".to_owned()];
        args.id_token_alg = IdTokenAlgArg::EdDSA;
        args.grant_types = vec![
            GrantTypeArg::AuthorizationCode,
            GrantTypeArg::ClientCredentials,
        ];
        let client = run(&args, None).unwrap().client;
        assert!(client.require_par);
        assert_eq!(client.name.as_deref(), Some("Kundenportal"));
        assert_eq!(client.extra_scopes, vec!["claims:read"]);
        assert_eq!(client.id_token_alg, SigningAlg::EdDSA);
        assert_eq!(
            client.grant_types,
            vec![GrantType::AuthorizationCode, GrantType::ClientCredentials]
        );
        args.scopes = vec!["bad scope".to_owned()];
        assert!(run(&args, None).is_err());
    }

    #[test]
    fn r_ac_2_default_and_minimum_levels_are_checked_and_carried() {
        let mut args = args();
        args.default_acr_values = vec![
            "loa-substantial".to_owned(),
            "loa-high".to_owned(),
            "loa-substantial".to_owned(),
        ];
        args.minimum_acr = Some("loa-substantial".to_owned());
        let client = run(&args, None).unwrap().client;
        assert_eq!(client.default_acr_values, ["loa-substantial", "loa-high"]);
        assert_eq!(client.minimum_acr.as_deref(), Some("loa-substantial"));
        let levels: Vec<String> = ["loa-low", "loa-substantial", "loa-high"]
            .iter()
            .map(|&level| level.to_owned())
            .collect();
        assert_eq!(known_levels(&client, &levels), Ok(()));
        assert!(
            known_levels(&client, &levels[..2])
                .unwrap_err()
                .contains("--default-acr: \"loa-high\"")
        );

        let mut bad = args.clone();
        bad.minimum_acr = Some("loa high".to_owned());
        assert!(run(&bad, None).unwrap_err().contains("--minimum-acr"));
        let mut bad = args;
        bad.default_acr_values = vec![String::new()];
        assert!(run(&bad, None).unwrap_err().contains("--default-acr"));
    }

    #[test]
    fn r_se_2_logout_uris_are_checked_and_carried() {
        let mut args = args();
        args.backchannel_logout_uri = Some("https://bcl.portal.example/logout".to_owned());
        args.backchannel_logout_session_required = true;
        args.frontchannel_logout_uri = Some("https://portal.example/fcl".to_owned());
        args.frontchannel_logout_session_required = true;
        let client = run(&args, None).unwrap().client;
        assert_eq!(
            client.logout,
            LogoutEndpoints {
                backchannel_uri: Some("https://bcl.portal.example/logout".to_owned()),
                backchannel_session_required: true,
                frontchannel_uri: Some("https://portal.example/fcl".to_owned()),
                frontchannel_session_required: true,
            }
        );

        let mut bad = args.clone();
        bad.frontchannel_logout_uri = Some("https://bcl.portal.example/fcl".to_owned());
        assert!(
            run(&bad, None)
                .unwrap_err()
                .contains("--frontchannel-logout-uri")
        );
        let mut bad = args.clone();
        bad.backchannel_logout_uri = Some("http://portal.example/logout".to_owned());
        assert!(
            run(&bad, None)
                .unwrap_err()
                .contains("--backchannel-logout-uri")
        );
        let mut bad = args;
        bad.backchannel_logout_uri = None;
        assert!(
            run(&bad, None)
                .unwrap_err()
                .contains("needs --backchannel-logout-uri")
        );
    }

    #[test]
    fn r_op_1_planned_clients_pass_the_shared_registration_rules() {
        let levels: Vec<String> = vec!["loa-low".to_owned(), "loa-substantial".to_owned()];
        let mut native = args();
        native.auth_method = AuthMethodArg::None;
        native.application_type = ApplicationTypeArg::Native;
        native.redirect_uris = vec!["com.example.app:/cb".to_owned()];
        let mut strict = args();
        strict.minimum_acr = Some("loa-substantial".to_owned());
        for args in [self::args(), native, strict] {
            let client = run(&args, None).unwrap().client;
            assert_eq!(
                pforte_oauth::registration::validate(&client, &levels),
                Ok(()),
                "{client:?}"
            );
        }
    }

    #[test]
    fn r_se_2_clients_without_logout_uris_get_no_notifications() {
        let client = run(&args(), None).unwrap().client;
        assert_eq!(client.logout, LogoutEndpoints::default());
    }
}
