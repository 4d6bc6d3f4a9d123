//! Logout notifications to relying parties (R-SE-2): OpenID Back-Channel
//! Logout 1.0 (a local listener plays the RP's back-channel endpoint and
//! receives the logout token) and Front-Channel Logout 1.0 (the iframes of
//! the logged-out page and its CSP). The delivery worker is driven by its
//! `run_once`, and retries by moving the manual clock.

use crate::support::*;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pforte_identity::audit::{AuditKind, AuditQuery};
use pforte_identity::ports::LockoutStore;
use pforte_oauth::model::{Client, ClientAuthMethod, LogoutEndpoints};
use pforte_testkit::{Browser, Page, TestServer};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "richtig-und-lang";
const POST_LOGOUT_URI: &str = "https://rp.example/logged-out";
const FRONTCHANNEL_URI: &str = "https://rp.example/fcl?tenant=a";

/// What the RP's back-channel endpoint received.
#[derive(Debug, Clone)]
struct Received {
    content_type: String,
    body: String,
}

/// A tiny RP back-channel logout endpoint on a free port that answers every
/// POST with the current `status`.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
    _task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(status: u16) -> Receiver {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(status));
        let (log, answer) = (received.clone(), status.clone());
        let app = axum::Router::new().route(
            "/backchannel",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (log, answer) = (log.clone(), answer.clone());
                async move {
                    log.lock().unwrap().push(Received {
                        content_type: headers
                            .get("content-type")
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or_default()
                            .to_owned(),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url,
            received,
            status,
            _task: task,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

struct Rp {
    server: TestServer,
    browser: Browser,
    secret: String,
}

/// Back-off settings of a test: (attempts, base seconds); `None` keeps the
/// defaults.
type Retry = Option<(u32, u64)>;

async fn rp(retry: Retry, logout: LogoutEndpoints) -> Rp {
    let server = TestServer::start_with(|settings| {
        if let Some((attempts, base)) = retry {
            settings.logout.backchannel_max_attempts = attempts;
            settings.logout.backchannel_retry_base_secs = base;
        }
    })
    .await
    .unwrap();
    server.add_account("erika", PASSWORD).await.unwrap();
    let secret = pforte_crypto::random::random_token();
    let record = Client {
        secret_digest: Some(server.app.secrets.digest(&secret)),
        post_logout_redirect_uris: vec![POST_LOGOUT_URI.to_owned()],
        logout,
        ..server.client_template("portal", REDIRECT_URI, ClientAuthMethod::ClientSecretBasic)
    };
    server.add_client(&record).await.unwrap();
    Rp {
        server,
        browser: browser(),
        secret,
    }
}

/// Logs erika in through the portal and returns the token response.
async fn log_in(rp: &Rp) -> Value {
    let verifier = "verifier-for-logout-notify-0123456789012345678901234";
    let challenge = pforte_crypto::random::sha256_b64url(verifier);
    let mut url = url::Url::parse(&rp.server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "portal")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let start = rp.browser.get(url.as_str()).await.unwrap();
    let login = rp.browser.follow(&start).await.unwrap();
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", "erika"));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    let back = rp
        .browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    assert_eq!(back.status, 303, "{}", back.body);
    let code = back.location_params().get("code").expect("code").clone();
    let pairs = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code),
        ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
        ("code_verifier".to_owned(), verifier.to_owned()),
    ];
    let basic = format!("Basic {}", STANDARD.encode(format!("portal:{}", rp.secret)));
    let tokens = rp
        .browser
        .post_form_with(
            &rp.server.url("/token"),
            &pairs,
            &[("authorization", &basic)],
        )
        .await
        .unwrap();
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    serde_json::from_str(&tokens.body).unwrap()
}

/// Logs out without a hint: the confirmation page, then "yes".
async fn log_out_confirmed(rp: &Rp) -> Page {
    let confirm = rp.browser.get(&rp.server.url("/logout")).await.unwrap();
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let form = confirm.post_form().unwrap();
    rp.browser
        .submit(&confirm, &form, Some(("confirm", "yes")))
        .await
        .unwrap()
}

fn claims_of(
    token: &str,
) -> (
    serde_json::Map<String, Value>,
    serde_json::Map<String, Value>,
) {
    let mut parts = token.split('.');
    let mut decode = || -> serde_json::Map<String, Value> {
        let part = parts.next().unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let header = decode();
    let claims = decode();
    (header, claims)
}

async fn audit_kinds(server: &TestServer) -> Vec<(AuditKind, Option<String>)> {
    server
        .app
        .store
        .audit_events(&AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|event| {
            matches!(
                event.kind,
                AuditKind::BackchannelLogoutDelivered
                    | AuditKind::BackchannelLogoutFailed
                    | AuditKind::BackchannelLogoutAbandoned
            )
        })
        .map(|event| (event.kind, event.detail))
        .collect()
}

#[tokio::test]
async fn bcl_2_5_logout_posts_a_signed_logout_token_to_the_rp() {
    let receiver = Receiver::start(200).await;
    let rp = rp(
        None,
        LogoutEndpoints {
            backchannel_uri: Some(receiver.url.clone()),
            backchannel_session_required: true,
            ..LogoutEndpoints::default()
        },
    )
    .await;
    let tokens = log_in(&rp).await;
    let sid = rp.browser.cookie("pforte_session").unwrap();
    let (_, id_token_claims) = claims_of(tokens["id_token"].as_str().unwrap());

    let done = log_out_confirmed(&rp).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(receiver.received().is_empty(), "queued, not sent inline");

    let delivery = rp.server.app.backchannel_delivery().unwrap();
    let report = delivery.run_once().await.unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert!(
        received[0]
            .content_type
            .starts_with("application/x-www-form-urlencoded"),
        "{}",
        received[0].content_type
    );
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&received[0].body).unwrap();
    assert_eq!(form.len(), 1, "only logout_token: {form:?}");
    assert_eq!(form[0].0, "logout_token");
    let token = &form[0].1;

    // BCL 1.0 §2.6: the RP validates the signature with the OP's JWKS.
    let jwks_page = rp.browser.get(&rp.server.url("/jwks")).await.unwrap();
    let jwks: Value = serde_json::from_str(&jwks_page.body).unwrap();
    let verified =
        pforte_crypto::jose::verify_with_jwks(token, &jwks, &[pforte_crypto::SigningAlg::RS256])
            .unwrap();
    assert_eq!(
        verified.header["typ"], "logout+jwt",
        "BCL 1.0 §2.4 explicit typing"
    );
    assert_eq!(
        verified.header["alg"], "RS256",
        "the client's ID token algorithm"
    );
    let claims = verified.claims;
    assert_eq!(claims["iss"], json!(rp.server.base_url()));
    assert_eq!(claims["aud"], "portal");
    assert_eq!(
        claims["sub"], id_token_claims["sub"],
        "the subject of the ID token"
    );
    assert_eq!(claims["sid"], json!(sid));
    assert_eq!(claims["sid"], id_token_claims["sid"]);
    assert_eq!(
        claims["events"],
        json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()));
    let iat = claims["iat"].as_i64().unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    assert_eq!(iat, rp.server.clock_now().timestamp());
    assert_eq!(exp - iat, 120, "short-lived");
    assert!(!claims.contains_key("nonce"), "BCL 1.0 §2.4: never a nonce");

    assert_eq!(
        delivery.run_once().await.unwrap(),
        Default::default(),
        "delivered once"
    );
    let audited = audit_kinds(&rp.server).await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].0, AuditKind::BackchannelLogoutDelivered);
}

#[tokio::test]
async fn r_se_2_a_failing_backchannel_endpoint_is_retried_with_backoff_and_audited() {
    let receiver = Receiver::start(503).await;
    let rp = rp(
        Some((3, 10)),
        LogoutEndpoints {
            backchannel_uri: Some(receiver.url.clone()),
            ..LogoutEndpoints::default()
        },
    )
    .await;
    log_in(&rp).await;
    log_out_confirmed(&rp).await;
    let delivery = rp.server.app.backchannel_delivery().unwrap();

    assert_eq!(delivery.run_once().await.unwrap().retrying, 1);
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(
        delivery.run_once().await.unwrap(),
        Default::default(),
        "not due before the back-off"
    );
    rp.server.clock.advance(chrono::Duration::seconds(9));
    delivery.run_once().await.unwrap();
    assert_eq!(receiver.received().len(), 1, "first retry after 10 s");
    rp.server.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(delivery.run_once().await.unwrap().retrying, 1);
    assert_eq!(receiver.received().len(), 2);
    rp.server.clock.advance(chrono::Duration::seconds(19));
    delivery.run_once().await.unwrap();
    assert_eq!(receiver.received().len(), 2, "second retry after 20 s");
    rp.server.clock.advance(chrono::Duration::seconds(1));
    let last = delivery.run_once().await.unwrap();
    assert_eq!(last.abandoned, 1, "three attempts, then given up: {last:?}");
    assert_eq!(receiver.received().len(), 3);
    rp.server.clock.advance(chrono::Duration::seconds(3600));
    delivery.run_once().await.unwrap();
    assert_eq!(receiver.received().len(), 3, "no attempt after giving up");

    let audited = audit_kinds(&rp.server).await;
    let kinds: Vec<AuditKind> = audited.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(
        kinds,
        [
            AuditKind::BackchannelLogoutFailed,
            AuditKind::BackchannelLogoutFailed,
            AuditKind::BackchannelLogoutAbandoned,
        ]
    );
    for (_, detail) in &audited {
        assert!(
            detail.as_deref().unwrap_or_default().contains("status=503"),
            "{detail:?}"
        );
    }
    assert!(
        audited[2]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("attempts_exhausted")
    );
}

#[tokio::test]
async fn bcl_2_8_a_refusing_rp_is_given_up_at_once_and_a_recovering_one_gets_the_token() {
    let receiver = Receiver::start(400).await;
    let rp = rp(
        None,
        LogoutEndpoints {
            backchannel_uri: Some(receiver.url.clone()),
            ..LogoutEndpoints::default()
        },
    )
    .await;
    log_in(&rp).await;
    log_out_confirmed(&rp).await;
    let delivery = rp.server.app.backchannel_delivery().unwrap();
    assert_eq!(delivery.run_once().await.unwrap().abandoned, 1);
    let audited = audit_kinds(&rp.server).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].0, AuditKind::BackchannelLogoutAbandoned);
    assert!(
        audited[0]
            .1
            .as_deref()
            .unwrap_or_default()
            .contains("refused")
    );

    // A 500 first, then 204 (BCL 1.0 §2.8 allows it for an empty 200).
    receiver.status.store(500, Ordering::SeqCst);
    log_in(&rp).await;
    log_out_confirmed(&rp).await;
    assert_eq!(delivery.run_once().await.unwrap().retrying, 1);
    receiver.status.store(204, Ordering::SeqCst);
    rp.server.clock.advance(chrono::Duration::seconds(10));
    assert_eq!(delivery.run_once().await.unwrap().delivered, 1);
    let (_, first) = claims_of(&token_of(&receiver.received()[1]));
    let (_, retry) = claims_of(&token_of(&receiver.received()[2]));
    assert_ne!(
        first["jti"], retry["jti"],
        "every attempt signs a new token"
    );
    assert!(retry["exp"].as_i64() > first["exp"].as_i64());
}

fn token_of(received: &Received) -> String {
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&received.body).unwrap();
    form.into_iter()
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value)
        .unwrap()
}

#[tokio::test]
async fn r_se_2_clients_without_backchannel_uri_are_not_queued() {
    let rp = rp(None, LogoutEndpoints::default()).await;
    log_in(&rp).await;
    log_out_confirmed(&rp).await;
    let delivery = rp.server.app.backchannel_delivery().unwrap();
    assert_eq!(delivery.run_once().await.unwrap(), Default::default());
}

#[tokio::test]
async fn fcl_4_logged_out_page_loads_the_frontchannel_uri_with_iss_and_sid() {
    let rp = rp(
        None,
        LogoutEndpoints {
            frontchannel_uri: Some(FRONTCHANNEL_URI.to_owned()),
            frontchannel_session_required: true,
            ..LogoutEndpoints::default()
        },
    )
    .await;
    log_in(&rp).await;
    let sid = rp.browser.cookie("pforte_session").unwrap();
    let done = log_out_confirmed(&rp).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.text_by_id("logged-out").is_some());
    let frames = pforte_testkit::html::tags(&done.body)
        .into_iter()
        .filter(|tag| tag.name == "iframe")
        .collect::<Vec<_>>();
    assert_eq!(frames.len(), 1, "{}", done.body);
    let src = frames[0].attr("src").unwrap().to_owned();
    let parsed = url::Url::parse(&src).unwrap();
    assert_eq!(parsed.origin().ascii_serialization(), "https://rp.example");
    assert_eq!(parsed.path(), "/fcl");
    let query: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    assert_eq!(
        query,
        [
            ("tenant".to_owned(), "a".to_owned()),
            ("iss".to_owned(), rp.server.base_url().to_owned()),
            ("sid".to_owned(), sid),
        ]
    );
    assert!(frames[0].has_attr("hidden"));
    assert!(frames[0].has_attr("title"));
    let csp = done.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-src https://rp.example;"), "{csp}");
    assert!(
        !csp.contains("script-src"),
        "no script without a redirect: {csp}"
    );
    assert_page_headers(&done);
}

#[tokio::test]
async fn fcl_4_frames_load_before_the_post_logout_redirect_with_a_visible_link() {
    let rp = rp(
        None,
        LogoutEndpoints {
            frontchannel_uri: Some("https://rp.example/fcl".to_owned()),
            frontchannel_session_required: false,
            ..LogoutEndpoints::default()
        },
    )
    .await;
    let tokens = log_in(&rp).await;
    let mut url = url::Url::parse(&rp.server.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI)
        .append_pair("state", "bye-1");
    let page = rp.browser.get(url.as_str()).await.unwrap();
    assert_eq!(page.status, 200, "the frames come first: {}", page.body);
    assert!(rp.browser.cookie("pforte_session").is_none());
    let tags = pforte_testkit::html::tags(&page.body);
    let frame = tags.iter().find(|tag| tag.name == "iframe").unwrap();
    assert_eq!(
        frame.attr("src"),
        Some("https://rp.example/fcl"),
        "no iss/sid unless the client requires them"
    );
    let link = tags
        .iter()
        .find(|tag| tag.name == "a" && tag.attr("id") == Some("logout-continue"))
        .unwrap();
    assert_eq!(
        link.attr("href"),
        Some("https://rp.example/logged-out?state=bye-1")
    );
    let script = tags.iter().find(|tag| tag.name == "script").unwrap();
    let nonce = script.attr("nonce").unwrap();
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains(&format!("script-src 'nonce-{nonce}';")),
        "{csp}"
    );
    assert!(csp.contains("frame-src https://rp.example;"), "{csp}");
    assert!(page.text_by_id("logged-out").is_some());
}

#[tokio::test]
async fn fcl_4_without_frontchannel_clients_the_redirect_is_immediate_and_texts_are_translated() {
    let plain = rp(None, LogoutEndpoints::default()).await;
    let tokens = log_in(&plain).await;
    let mut url = url::Url::parse(&plain.server.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI);
    let page = plain.browser.get(url.as_str()).await.unwrap();
    assert_eq!(page.status, 303);
    assert_eq!(page.location().as_deref(), Some(POST_LOGOUT_URI));

    let english = rp(
        None,
        LogoutEndpoints {
            frontchannel_uri: Some("https://rp.example/fcl".to_owned()),
            ..LogoutEndpoints::default()
        },
    )
    .await;
    let english = Rp {
        browser: Browser::new().unwrap().with_language("en"),
        ..english
    };
    let tokens = log_in_en(&english).await;
    let mut url = url::Url::parse(&english.server.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI);
    let page = english.browser.get(url.as_str()).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.lang().as_deref(), Some("en"));
    assert!(page.body.contains("Continue"), "{}", page.body);
}

/// [`log_in`] for a browser that prefers English (the form labels differ).
async fn log_in_en(rp: &Rp) -> Value {
    let verifier = "verifier-for-logout-notify-en-012345678901234567890";
    let challenge = pforte_crypto::random::sha256_b64url(verifier);
    let mut url = url::Url::parse(&rp.server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "portal")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let start = rp.browser.get(url.as_str()).await.unwrap();
    let login = rp.browser.follow(&start).await.unwrap();
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Username", "erika"));
    assert!(form.fill_by_label("Password", PASSWORD));
    let back = rp
        .browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap();
    let code = back.location_params().get("code").expect("code").clone();
    let pairs = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code),
        ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
        ("code_verifier".to_owned(), verifier.to_owned()),
    ];
    let basic = format!("Basic {}", STANDARD.encode(format!("portal:{}", rp.secret)));
    let tokens = rp
        .browser
        .post_form_with(
            &rp.server.url("/token"),
            &pairs,
            &[("authorization", &basic)],
        )
        .await
        .unwrap();
    serde_json::from_str(&tokens.body).unwrap()
}
