//! The whole authorization code flow through the pages and the protocol core:
//! authorize → login → code → token → userinfo, consent, cancel, logout, and the
//! error page for an unknown client.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pforte_testkit::{Browser, Page, TestClient, TestServer};

const PASSWORD: &str = "richtig-und-lang";
const POST_LOGOUT_URI: &str = "https://rp.example/logged-out";

struct Flow {
    server: TestServer,
    browser: Browser,
    client: TestClient,
}

async fn flow() -> Flow {
    let server = server().await;
    server.add_account("erika", PASSWORD).await.unwrap();
    server.add_account("max", PASSWORD).await.unwrap();
    let secret = pforte_crypto::random::random_token();
    let record = pforte_oauth::model::Client {
        secret_digest: Some(server.app.secrets.digest(&secret)),
        post_logout_redirect_uris: vec![POST_LOGOUT_URI.to_owned()],
        ..server.client_template(
            "portal",
            REDIRECT_URI,
            pforte_oauth::model::ClientAuthMethod::ClientSecretBasic,
        )
    };
    server.add_client(&record).await.unwrap();
    let client = TestClient {
        client_id: "portal".to_owned(),
        secret: Some(secret),
        redirect_uri: REDIRECT_URI.to_owned(),
    };
    Flow {
        server,
        browser: browser(),
        client,
    }
}

fn authorize_url(flow: &Flow, extra: &[(&str, &str)], verifier: &str) -> String {
    let challenge = pforte_crypto::random::sha256_b64url(verifier);
    let mut url = url::Url::parse(&flow.server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &flow.client.client_id)
        .append_pair("redirect_uri", &flow.client.redirect_uri)
        .append_pair("scope", "openid profile email")
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    url.into()
}

/// Follows the authorize redirect to the login page and logs in as erika.
async fn log_in(flow: &Flow, authorize: &str) -> Page {
    log_in_as(flow, authorize, "erika").await
}

async fn log_in_as(flow: &Flow, authorize: &str, username: &str) -> Page {
    let start = flow.browser.get(authorize).await.unwrap();
    assert_eq!(
        start.status, 303,
        "authorize asks for a login: {}",
        start.body
    );
    let location = start.location().unwrap();
    assert!(location.contains("/login?interaction="), "{location}");
    let login = flow.browser.follow(&start).await.unwrap();
    assert_eq!(login.status, 200);
    let mut form = login.post_form().unwrap();
    assert!(form.fill_by_label("Benutzername", username));
    assert!(form.fill_by_label("Passwort", PASSWORD));
    flow.browser
        .submit(&login, &form, Some(("action", "login")))
        .await
        .unwrap()
}

fn basic(client: &TestClient) -> String {
    let secret = client.secret.as_deref().unwrap();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{secret}", client.client_id))
    )
}

async fn redeem(flow: &Flow, code: &str, verifier: &str) -> Page {
    let pairs = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code.to_owned()),
        ("redirect_uri".to_owned(), flow.client.redirect_uri.clone()),
        ("code_verifier".to_owned(), verifier.to_owned()),
    ];
    flow.browser
        .post_form_with(
            &flow.server.url("/token"),
            &pairs,
            &[("authorization", &basic(&flow.client))],
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn oidc_core_3_1_code_flow_login_code_token_userinfo() {
    let flow = flow().await;
    let verifier = "a-verifier-that-is-long-enough-for-rfc7636-rules-0123456789";
    let back = log_in(&flow, &authorize_url(&flow, &[], verifier)).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let location = back.location().unwrap();
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    let params = back.location_params();
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    assert_eq!(
        params.get("iss").map(String::as_str),
        Some(flow.server.base_url()),
        "RFC 9207 iss"
    );
    let code = params.get("code").expect("code").clone();

    let tokens = redeem(&flow, &code, verifier).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    assert_eq!(tokens.header("pragma"), Some("no-cache"));
    let body: serde_json::Value = serde_json::from_str(&tokens.body).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["id_token"].is_string());
    let access_token = body["access_token"].as_str().unwrap().to_owned();

    let userinfo = flow
        .browser
        .get_with(
            &flow.server.url("/userinfo"),
            &[("authorization", &format!("Bearer {access_token}"))],
        )
        .await
        .unwrap();
    assert_eq!(userinfo.status, 200, "{}", userinfo.body);
    assert_eq!(userinfo.header("cache-control"), Some("no-store"));
    let claims: serde_json::Value = serde_json::from_str(&userinfo.body).unwrap();
    assert!(claims["sub"].is_string());

    // RFC 6749 4.1.2: a code is single use.
    let again = redeem(&flow, &code, verifier).await;
    assert_eq!(again.status, 400);
    let error: serde_json::Value = serde_json::from_str(&again.body).unwrap();
    assert_eq!(error["error"], "invalid_grant");
}

#[tokio::test]
async fn sso_a_live_session_skips_the_login_page() {
    let flow = flow().await;
    let verifier = "another-verifier-that-is-long-enough-for-rfc7636-0123456789";
    let first = log_in(&flow, &authorize_url(&flow, &[], verifier)).await;
    assert_eq!(first.status, 303);
    let second = flow
        .browser
        .get(&authorize_url(&flow, &[], verifier))
        .await
        .unwrap();
    assert_eq!(second.status, 303);
    assert!(second.location().unwrap().starts_with(REDIRECT_URI));
    assert!(second.location_params().contains_key("code"));
}

#[tokio::test]
async fn rfc6749_4_1_2_1_unknown_client_gets_an_error_page_not_a_redirect() {
    let flow = flow().await;
    let url = flow.server.url(
        "/authorize?response_type=code&client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid&state=x",
    );
    let page = flow.browser.get(&url).await.unwrap();
    assert_eq!(page.status, 400);
    assert!(page.header("location").is_none());
    assert_page_headers(&page);
    assert!(page.text_by_id("error-code").unwrap().starts_with("PF-"));
    assert!(page.text_by_id("request-id").is_some());
}

#[tokio::test]
async fn rfc9700_unregistered_redirect_uri_gets_an_error_page() {
    let flow = flow().await;
    let url = flow.server.url(
        "/authorize?response_type=code&client_id=portal&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid",
    );
    let page = flow.browser.get(&url).await.unwrap();
    assert_eq!(page.status, 400);
    assert!(page.header("location").is_none());
}

#[tokio::test]
async fn rfc6749_4_1_2_1_cancel_on_the_login_page_is_access_denied() {
    let flow = flow().await;
    let start = flow
        .browser
        .get(&authorize_url(
            &flow,
            &[],
            "verifier-for-cancel-0123456789012345678901234",
        ))
        .await
        .unwrap();
    let login = flow.browser.follow(&start).await.unwrap();
    let form = login.post_form().unwrap();
    let back = flow
        .browser
        .submit(&login, &form, Some(("action", "cancel")))
        .await
        .unwrap();
    assert_eq!(back.status, 303);
    let params = back.location_params();
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    assert!(params.contains_key("iss"));
}

#[tokio::test]
async fn oidc_core_3_1_2_1_prompt_consent_shows_the_consent_page() {
    let flow = flow().await;
    let verifier = "verifier-for-consent-01234567890123456789012345678";
    let after_login = log_in(
        &flow,
        &authorize_url(&flow, &[("prompt", "consent")], verifier),
    )
    .await;
    assert_eq!(after_login.status, 303);
    let consent = flow.browser.follow(&after_login).await.unwrap();
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert_page_headers(&consent);
    let form = consent.post_form().unwrap();
    assert!(
        form.buttons
            .contains(&("decision".to_owned(), "allow".to_owned()))
    );
    assert!(
        form.buttons
            .contains(&("decision".to_owned(), "deny".to_owned()))
    );
    let back = flow
        .browser
        .submit(&consent, &form, Some(("decision", "allow")))
        .await
        .unwrap();
    assert_eq!(back.status, 303);
    assert!(back.location_params().contains_key("code"));
}

#[tokio::test]
async fn form_post_response_mode_renders_an_auto_submitting_form() {
    let flow = flow().await;
    let verifier = "verifier-for-form-post-0123456789012345678901234567";
    let page = log_in(
        &flow,
        &authorize_url(&flow, &[("response_mode", "form_post")], verifier),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form = page.forms().into_iter().next().unwrap();
    assert_eq!(form.action.as_deref(), Some(REDIRECT_URI));
    assert!(form.value("code").is_some());
    assert_eq!(form.value("state"), Some("st-1"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(page.body.contains(&format!(r#"<script nonce="{nonce}">"#)));
    assert!(csp.contains("form-action https://rp.example"), "{csp}");
    assert!(page.body.contains("<noscript>"));
}

#[tokio::test]
async fn rp_initiated_logout_without_hint_asks_and_then_ends_the_session() {
    let flow = flow().await;
    let verifier = "verifier-for-logout-012345678901234567890123456789";
    let back = log_in(&flow, &authorize_url(&flow, &[], verifier)).await;
    assert_eq!(back.status, 303);
    let sid = flow.browser.cookie("pforte_session").unwrap();

    let confirm = flow.browser.get(&flow.server.url("/logout")).await.unwrap();
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let form = confirm.post_form().unwrap();
    assert!(
        form.buttons
            .contains(&("confirm".to_owned(), "yes".to_owned()))
    );
    let done = flow
        .browser
        .submit(&confirm, &form, Some(("confirm", "yes")))
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    assert!(done.text_by_id("logged-out").is_some());
    assert!(flow.browser.cookie("pforte_session").is_none());
    assert!(
        flow.server
            .app
            .identity
            .live_session(&sid)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn rfc6749_5_2_bad_client_credentials_are_401_with_basic_challenge() {
    let flow = flow().await;
    let pairs = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), "nothing".to_owned()),
    ];
    let page = flow
        .browser
        .post_form_with(
            &flow.server.url("/token"),
            &pairs,
            &[("authorization", "Basic cG9ydGFsOndyb25n")],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 401);
    assert!(
        page.header("www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let error: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(error["error"], "invalid_client");
}

#[tokio::test]
async fn rfc6750_3_userinfo_without_a_valid_token_is_401_with_bearer_challenge() {
    let flow = flow().await;
    let page = flow
        .browser
        .get_with(
            &flow.server.url("/userinfo"),
            &[("authorization", "Bearer not-a-token")],
        )
        .await
        .unwrap();
    assert_eq!(page.status, 401);
    assert!(
        page.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_6_prompt_none_without_session_is_login_required() {
    let flow = flow().await;
    let page = flow
        .browser
        .get(&authorize_url(
            &flow,
            &[("prompt", "none")],
            "verifier-for-prompt-none-012345678901234567890123456",
        ))
        .await
        .unwrap();
    assert_eq!(page.status, 303);
    let params = page.location_params();
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("login_required")
    );
    assert!(page.location().unwrap().starts_with(REDIRECT_URI));
}

#[tokio::test]
async fn oidc_core_3_1_2_4_denied_consent_is_access_denied() {
    let flow = flow().await;
    let verifier = "verifier-for-consent-deny-0123456789012345678901234";
    let after_login = log_in(
        &flow,
        &authorize_url(&flow, &[("prompt", "consent")], verifier),
    )
    .await;
    let consent = flow.browser.follow(&after_login).await.unwrap();
    let form = consent.post_form().unwrap();
    let back = flow
        .browser
        .submit(&consent, &form, Some(("decision", "deny")))
        .await
        .unwrap();
    assert_eq!(back.status, 303);
    let params = back.location_params();
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn consent_page_answers_only_the_browser_that_logged_in() {
    let flow = flow().await;
    let verifier = "verifier-for-consent-theft-012345678901234567890123";
    let after_login = log_in(
        &flow,
        &authorize_url(&flow, &[("prompt", "consent")], verifier),
    )
    .await;
    let consent_url = after_login.location().unwrap();
    let other = browser();
    let page = other.get(&consent_url).await.unwrap();
    assert_eq!(page.status, 400);
    assert!(page.post_form().is_none());
}

#[tokio::test]
async fn logout_confirmation_with_a_forged_token_is_refused() {
    let flow = flow().await;
    let verifier = "verifier-for-logout-csrf-0123456789012345678901234";
    log_in(&flow, &authorize_url(&flow, &[], verifier)).await;
    let sid = flow.browser.cookie("pforte_session").unwrap();
    let confirm = flow.browser.get(&flow.server.url("/logout")).await.unwrap();
    let mut form = confirm.post_form().unwrap();
    form.set("csrf_token", "forged");
    let refused = flow
        .browser
        .submit(&confirm, &form, Some(("confirm", "yes")))
        .await
        .unwrap();
    assert_eq!(refused.status, 403);
    assert!(
        flow.server
            .app
            .identity
            .live_session(&sid)
            .await
            .unwrap()
            .is_some()
    );
}

/// Logs in, redeems the code, and returns the token response.
async fn tokens(flow: &Flow) -> serde_json::Value {
    let verifier = "verifier-for-tokens-0123456789012345678901234567890";
    let back = log_in(flow, &authorize_url(flow, &[], verifier)).await;
    let code = back.location_params().get("code").expect("code").clone();
    let tokens = redeem(flow, &code, verifier).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    serde_json::from_str(&tokens.body).unwrap()
}

#[tokio::test]
async fn rp_initiated_logout_with_hint_redirects_with_state_at_once() {
    let flow = flow().await;
    let id_token = tokens(&flow).await["id_token"].as_str().unwrap().to_owned();
    let sid = flow.browser.cookie("pforte_session").unwrap();
    let mut url = url::Url::parse(&flow.server.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &id_token)
        .append_pair("post_logout_redirect_uri", POST_LOGOUT_URI)
        .append_pair("state", "bye-1");
    let page = flow.browser.get(url.as_str()).await.unwrap();
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(page.location().unwrap().starts_with(POST_LOGOUT_URI));
    assert_eq!(
        page.location_params().get("state").map(String::as_str),
        Some("bye-1")
    );
    assert!(flow.browser.cookie("pforte_session").is_none());
    assert!(
        flow.server
            .app
            .identity
            .live_session(&sid)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn rp_initiated_logout_never_redirects_to_an_unregistered_uri() {
    let flow = flow().await;
    let id_token = tokens(&flow).await["id_token"].as_str().unwrap().to_owned();
    let mut url = url::Url::parse(&flow.server.url("/logout")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &id_token)
        .append_pair("post_logout_redirect_uri", "https://evil.example/");
    let page = flow.browser.get(url.as_str()).await.unwrap();
    assert!(page.header("location").is_none());
    assert_eq!(page.status, 400, "{}", page.body);
}

#[tokio::test]
async fn oidc_core_3_1_2_1_id_token_hint_for_another_account_refuses_other_logins() {
    let flow = flow().await;
    let id_token = tokens(&flow).await["id_token"].as_str().unwrap().to_owned();
    let verifier = "verifier-for-hint-0123456789012345678901234567890123";
    let url = authorize_url(
        &flow,
        &[("id_token_hint", &id_token), ("prompt", "login")],
        verifier,
    );
    let page = log_in_as(&flow, &url, "max").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.alert().unwrap().contains("anderen Konto"));
    assert!(page.header("location").is_none());
}

#[tokio::test]
async fn rfc7009_revocation_and_rfc7662_introspection_answer_through_http() {
    let flow = flow().await;
    let body = tokens(&flow).await;
    let access_token = body["access_token"].as_str().unwrap().to_owned();
    let auth = basic(&flow.client);
    let introspected = flow
        .browser
        .post_form_with(
            &flow.server.url("/introspect"),
            &[("token".to_owned(), access_token.clone())],
            &[("authorization", &auth)],
        )
        .await
        .unwrap();
    assert_eq!(introspected.status, 200, "{}", introspected.body);
    assert_eq!(introspected.header("cache-control"), Some("no-store"));
    let answer: serde_json::Value = serde_json::from_str(&introspected.body).unwrap();
    assert_eq!(answer["active"], true);

    let revoked = flow
        .browser
        .post_form_with(
            &flow.server.url("/revoke"),
            &[("token".to_owned(), access_token)],
            &[("authorization", &auth)],
        )
        .await
        .unwrap();
    assert_eq!(revoked.status, 200, "{}", revoked.body);
}

#[tokio::test]
async fn rfc6750_3_1_userinfo_without_any_token_gets_a_bare_challenge() {
    let flow = flow().await;
    let page = flow
        .browser
        .get(&flow.server.url("/userinfo"))
        .await
        .unwrap();
    assert!(page.status == 400 || page.status == 401, "{}", page.status);
    assert_eq!(
        page.header("www-authenticate"),
        Some(r#"Bearer realm="pforte""#)
    );
}

#[tokio::test]
async fn rfc9126_pushed_request_is_201_and_usable_once_at_authorize() {
    let flow = flow().await;
    let verifier = "verifier-for-par-012345678901234567890123456789012345";
    let pairs: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", "portal"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "par-1"),
        (
            "code_challenge",
            &pforte_crypto::random::sha256_b64url(verifier),
        ),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    let pushed = flow
        .browser
        .post_form_with(
            &flow.server.url("/par"),
            &pairs,
            &[("authorization", &basic(&flow.client))],
        )
        .await
        .unwrap();
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    assert_eq!(pushed.header("cache-control"), Some("no-store"));
    let body: serde_json::Value = serde_json::from_str(&pushed.body).unwrap();
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(body["expires_in"].as_u64().unwrap() > 0);

    let mut url = url::Url::parse(&flow.server.url("/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "portal")
        .append_pair("request_uri", &request_uri);
    let back = log_in(&flow, url.as_str()).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let params = back.location_params();
    assert_eq!(params.get("state").map(String::as_str), Some("par-1"));
    assert!(params.contains_key("code"));
}

#[tokio::test]
async fn r_se_1_an_expired_session_asks_for_the_login_again() {
    let flow = flow().await;
    let verifier = "verifier-for-expiry-0123456789012345678901234567890123";
    let first = log_in(&flow, &authorize_url(&flow, &[], verifier)).await;
    assert_eq!(first.status, 303);
    flow.server.clock.advance(chrono::Duration::hours(9));
    let again = flow
        .browser
        .get(&authorize_url(&flow, &[], verifier))
        .await
        .unwrap();
    assert_eq!(again.status, 303);
    assert!(again.location().unwrap().contains("/login?interaction="));
}

#[tokio::test]
async fn oidc_core_3_1_2_1_prompt_consent_with_a_live_session_goes_straight_to_consent() {
    let flow = flow().await;
    let verifier = "verifier-for-sso-consent-01234567890123456789012345";
    let first = log_in(&flow, &authorize_url(&flow, &[], verifier)).await;
    assert_eq!(first.status, 303);
    let start = flow
        .browser
        .get(&authorize_url(&flow, &[("prompt", "consent")], verifier))
        .await
        .unwrap();
    assert_eq!(start.status, 303);
    assert!(start.location().unwrap().contains("/consent?interaction="));
    let consent = flow.browser.follow(&start).await.unwrap();
    assert_eq!(consent.status, 200, "{}", consent.body);
    let form = consent.post_form().unwrap();
    let back = flow
        .browser
        .submit(&consent, &form, Some(("decision", "allow")))
        .await
        .unwrap();
    assert_eq!(back.status, 303);
    assert!(back.location_params().contains_key("code"));
}
