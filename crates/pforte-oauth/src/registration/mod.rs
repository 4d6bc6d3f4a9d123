//! What a valid client registration is: one place, used by `pforte client
//! add` and by the admin console and API (R-OP-1, R-AC-2).
//!
//! [`validate`] checks a whole [`Client`] record against the URI rules of
//! [`redirect_uri`] (RFC 9700 2.1, RFC 8252 7) and [`logout_uri`] (R-SE-2),
//! the pairing of authentication method, grants and keys (RFC 6749 4.4,
//! RFC 9700 2.1.1, RFC 7523), and the assurance levels of the policy in force
//! (R-AC-2). It returns every problem, each starting with the field's name, so
//! a form can show them all at once.

pub mod logout_uri;
pub mod redirect_uri;

use crate::model::{Client, ClientAuthMethod, GrantType};

/// Whether a URL host is this machine: `localhost` or a loopback IP literal
/// (RFC 8252 7.3; the only place plain `http` is allowed).
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(address) => address.is_loopback(),
        url::Host::Ipv6(address) => address.is_loopback(),
    }
}

const MAX_CLIENT_ID_CHARS: usize = 128;
const MAX_NAME_CHARS: usize = 200;
const MAX_ACR_CHARS: usize = 256;

/// Client ids travel in URLs, form bodies and the Basic scheme, so they are
/// kept to unreserved characters (RFC 3986 2.3).
pub fn client_id_is_valid(id: &str) -> bool {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~');
    !id.is_empty() && id.chars().count() <= MAX_CLIENT_ID_CHARS && id.chars().all(unreserved)
}

/// Display names are shown on consent pages: 1 to 200 printable characters.
pub fn display_name_is_valid(name: &str) -> bool {
    !name.trim().is_empty()
        && !name.chars().any(char::is_control)
        && name.chars().count() <= MAX_NAME_CHARS
}

/// The shape of an assurance level name (OIDC Core 2): visible characters,
/// no spaces (`acr_values` is space-separated), quotes or backslashes.
pub fn acr_is_valid(level: &str) -> bool {
    let visible = |c: char| c.is_ascii_graphic() && c != '"' && c != '\\';
    !level.is_empty() && level.chars().count() <= MAX_ACR_CHARS && level.chars().all(visible)
}

/// Every problem of a client record; empty when it may be stored.
/// `levels` are the assurance levels of the policy in force (R-AC-2): a
/// default the core does not know would be ignored, an unknown minimum would
/// refuse every login.
pub fn problems(client: &Client, levels: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if !client_id_is_valid(&client.client_id) {
        problems.push(format!(
            "client_id: {:?} must be 1 to {MAX_CLIENT_ID_CHARS} letters, digits, '.', '_', '-' or '~'",
            client.client_id
        ));
    }
    if let Some(name) = &client.name
        && !display_name_is_valid(name)
    {
        problems.push(format!(
            "name: must be 1 to {MAX_NAME_CHARS} printable characters"
        ));
    }
    if client.grant_types.is_empty() {
        problems.push("grant_types: at least one grant type is needed".to_owned());
    }
    if client.is_public() && client.allows_grant(GrantType::ClientCredentials) {
        problems.push(
            "grant_types: client_credentials needs a confidential client (RFC 6749 4.4)".to_owned(),
        );
    }
    if client.is_public() && !client.require_pkce {
        problems
            .push("require_pkce: public clients always require PKCE (RFC 9700 2.1.1)".to_owned());
    }
    if client.allows_grant(GrantType::AuthorizationCode) && client.redirect_uris.is_empty() {
        problems.push(
            "redirect_uris: at least one is required for the authorization_code grant".to_owned(),
        );
    }
    for uri in &client.redirect_uris {
        if let Err(error) = redirect_uri::check(uri, client.application_type) {
            problems.push(format!("redirect_uris: {error}"));
        }
    }
    for uri in &client.post_logout_redirect_uris {
        if let Err(error) = redirect_uri::check(uri, client.application_type) {
            problems.push(format!("post_logout_redirect_uris: {error}"));
        }
    }
    match &client.logout.backchannel_uri {
        Some(uri) => {
            if let Err(error) = logout_uri::backchannel(uri) {
                problems.push(format!("backchannel_logout_uri: {error}"));
            }
        }
        None if client.logout.backchannel_session_required => problems
            .push("backchannel_logout_session_required: needs a backchannel_logout_uri".to_owned()),
        None => {}
    }
    match &client.logout.frontchannel_uri {
        Some(uri) => {
            if let Err(error) = logout_uri::frontchannel(uri, &client.redirect_uris) {
                problems.push(format!("frontchannel_logout_uri: {error}"));
            }
        }
        None if client.logout.frontchannel_session_required => problems.push(
            "frontchannel_logout_session_required: needs a frontchannel_logout_uri".to_owned(),
        ),
        None => {}
    }
    match client.auth_method {
        method if method.uses_secret() => {
            if client.secret_digest.is_none() {
                problems.push(format!(
                    "auth_method: {} needs a client secret",
                    method.as_str()
                ));
            }
        }
        ClientAuthMethod::PrivateKeyJwt if client.jwks.is_none() => {
            problems
                .push("jwks: private_key_jwt needs the client's public keys (RFC 7523)".to_owned());
        }
        method => {
            if client.secret_digest.is_some() {
                problems.push(format!(
                    "auth_method: a {} client has no secret",
                    method.as_str()
                ));
            }
        }
    }
    if client.jwks.is_some() && client.auth_method != ClientAuthMethod::PrivateKeyJwt {
        problems.push("jwks: public keys are only for private_key_jwt clients".to_owned());
    }
    let named_levels = client
        .default_acr_values
        .iter()
        .map(|level| ("default_acr_values", level))
        .chain(
            client
                .minimum_acr
                .iter()
                .map(|level| ("minimum_acr", level)),
        );
    for (field, level) in named_levels {
        if !acr_is_valid(level) {
            problems.push(format!("{field}: {level:?} is not an assurance level name"));
        } else if !levels.contains(level) {
            problems.push(format!(
                "{field}: {level:?} is not an assurance level of the policy (known: {})",
                levels.join(", ")
            ));
        }
    }
    problems
}

/// [`problems`] as a result.
pub fn validate(client: &Client, levels: &[String]) -> Result<(), Vec<String>> {
    let problems = problems(client, levels);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests;
