//! OpenID Connect Back-Channel Logout 1.0 (OpenID Foundation plan
//! `oidcc-backchannel-rp-initiated-logout`, R-SE-2): a relying party built
//! with the `openidconnect` crate logs in with a client registered through
//! the CLI with a `backchannel_logout_uri`; after the RP-initiated logout the
//! RP's local endpoint receives a logout token that it validates as §2.6
//! asks, with the keys it discovered.

use crate::support::UserAgent;
use crate::support::fixture::{AuthKind, ClientSpec, PASSWORD, WEB_REDIRECT, secret_for};
use crate::support::http::plain_client;
use crate::support::jwt::peek;
use crate::support::rp::{Request, Rp, discover};
use crate::support::server::Server;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::CoreJwsSigningAlgorithm;
use openidconnect::{JsonWebKey, JsonWebKeyId};
use std::time::Duration;

/// What the RP's back-channel endpoint received: content type and body.
type Delivery = (String, String);

/// The RP's back-channel logout endpoint on a free loopback port; it answers
/// 200 as §2.8 asks and hands every request to the test.
async fn backchannel_endpoint() -> (String, tokio::sync::mpsc::UnboundedReceiver<Delivery>) {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel::<Delivery>();
    let app = axum::Router::new().route(
        "/backchannel-logout",
        axum::routing::post(move |headers: http::HeaderMap, body: String| {
            let sender = sender.clone();
            async move {
                let content_type = headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let _ = sender.send((content_type, body));
                http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/backchannel-logout",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, receiver)
}

#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout_delivers_a_valid_logout_token() {
    let (endpoint, mut deliveries) = backchannel_endpoint().await;
    let server = Server::prepare();
    let secret = secret_for("bcl-portal");
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        "bcl-portal",
        "--redirect-uri",
        WEB_REDIRECT,
        "--secret",
        &secret,
        "--backchannel-logout-uri",
        &endpoint,
        "--backchannel-logout-session-required",
    ]);
    server.cli_ok(&[
        "user",
        "add",
        "--username",
        "bcl-user",
        "--password",
        PASSWORD,
    ]);
    server.start();

    let document: serde_json::Value = plain_client()
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in [
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    ] {
        assert_eq!(document[key], true, "{key}");
    }

    let rp = Rp::for_issuer(
        &server.issuer,
        ClientSpec {
            id: "bcl-portal",
            auth: AuthKind::SecretBasic,
            redirect_uri: WEB_REDIRECT,
            secret: Some(secret),
            id_token_alg: "RS256",
        },
    )
    .await;
    let agent = UserAgent::new(&server.issuer);
    let done = rp
        .login_flow(&agent, "bcl-user", &Request::scopes(&["openid"]))
        .await;
    let (_, id_token) = peek(&done.id_token());
    let sid = id_token["sid"]
        .as_str()
        .expect("ID tokens carry sid")
        .to_owned();

    let mut logout = url::Url::parse(&server.url("/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &done.id_token());
    let page = agent.get(logout.as_str()).await;
    assert_eq!(page.status, reqwest::StatusCode::OK, "{}", page.body);

    // Delivery is asynchronous: wait for the request to arrive (bounded).
    let (content_type, body) = tokio::time::timeout(Duration::from_secs(30), deliveries.recv())
        .await
        .expect("no logout token within 30 s")
        .unwrap();
    assert!(
        content_type.starts_with("application/x-www-form-urlencoded"),
        "{content_type}"
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let token = form
        .iter()
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.clone())
        .expect("logout_token");

    // §2.6 step 3: the signature, with the key the RP discovered.
    let (header, claims) = peek(&token);
    assert_eq!(header["typ"], "logout+jwt");
    assert_eq!(header["alg"], "RS256");
    let metadata = discover(&server.issuer).await;
    let kid = JsonWebKeyId::new(header["kid"].as_str().unwrap().to_owned());
    let key = metadata
        .jwks()
        .keys()
        .iter()
        .find(|key| key.key_id() == Some(&kid))
        .expect("the signing key is in the JWKS");
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    key.verify_signature(
        &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        signing_input.as_bytes(),
        &URL_SAFE_NO_PAD.decode(signature).unwrap(),
    )
    .expect("valid signature");

    // §2.6 steps 4 to 10: the claims.
    assert_eq!(claims["iss"], server.issuer.as_str());
    assert_eq!(claims["aud"], "bcl-portal");
    assert_eq!(claims["sub"], id_token["sub"]);
    assert_eq!(claims["sid"], sid.as_str());
    assert_eq!(
        claims["events"]["http://schemas.openid.net/event/backchannel-logout"],
        serde_json::json!({})
    );
    assert!(claims.get("nonce").is_none());
    assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()));
    let iat = claims["iat"].as_i64().unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > iat && exp - iat <= 600, "short-lived: {iat} {exp}");

    let audit = server.cli_ok(&["audit", "list"]);
    assert!(
        audit.stdout.contains("backchannel_logout_delivered"),
        "{}",
        audit.stdout
    );
}
