//! `oidcc-server-rotate-keys`: after `pforte keys rotate` the JWKS holds the
//! new key and still the old one, new ID tokens use the new kid, and ID
//! tokens signed before the rotation still verify. Runs its own provider,
//! because rotating the shared one would change what other tests see.

use crate::support::fixture::{WEB_REDIRECT, secret_for};
use crate::support::jwt::peek;
use crate::support::raw::plain_get_json;
use crate::support::rp::discover;
use crate::support::server::Server;
use crate::support::{PASSWORD, UserAgent, walk};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, RedirectUrl, TokenResponse,
};
use std::collections::BTreeSet;

async fn login(server: &Server) -> (String, Nonce) {
    let metadata = discover(&server.issuer).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("rotating".to_owned()),
        Some(ClientSecret::new(secret_for("rotating"))),
    )
    .set_redirect_uri(RedirectUrl::new(WEB_REDIRECT.to_owned()).unwrap());
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    let agent = UserAgent::new(&server.issuer);
    let response = walk(&agent, url.as_str(), Some(("rita", PASSWORD)))
        .await
        .done();
    let http = crate::support::http::RpHttp::default();
    let tokens = client
        .exchange_code(AuthorizationCode::new(response.code().to_owned()))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    id_token
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    (id_token.to_string(), nonce)
}

async fn kids(server: &Server) -> BTreeSet<String> {
    let jwks = plain_get_json(&server.url("/jwks")).await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn oidcc_server_rotate_keys_keeps_old_kid_and_old_id_tokens_verify() {
    let server = Server::prepare();
    let secret = secret_for("rotating");
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        "rotating",
        "--secret",
        &secret,
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    server.cli_ok(&["user", "add", "--username", "rita", "--password", PASSWORD]);
    server.start();
    let (old_token, old_nonce) = login(&server).await;
    let old_kid = peek(&old_token).0["kid"].as_str().unwrap().to_owned();
    let before = kids(&server).await;
    assert!(before.contains(&old_kid));

    // Rotate with the operator CLI. A running provider re-reads its keys at
    // its next maintenance pass (60 s); a restart shows the result at once.
    server.stop();
    server.cli_ok(&["keys", "rotate"]);
    server.start();

    let after = kids(&server).await;
    assert!(
        after.contains(&old_kid),
        "the previous key left the JWKS too early"
    );
    assert!(
        after.len() > before.len(),
        "no new key in the JWKS: {before:?} → {after:?}"
    );
    let (new_token, _) = login(&server).await;
    let new_kid = peek(&new_token).0["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid, "new ID tokens still use the old key");
    assert!(after.contains(&new_kid));

    // A relying party that fetches the JWKS now still accepts the old token.
    let metadata = discover(&server.issuer).await;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("rotating".to_owned()),
        Some(ClientSecret::new(secret)),
    );
    let parsed: CoreIdToken = old_token.parse().unwrap();
    parsed
        .claims(&client.id_token_verifier(), &old_nonce)
        .unwrap_or_else(|error| panic!("old ID token no longer verifies: {error:?}"));
}
