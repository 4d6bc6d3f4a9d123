//! Security headers and the plain pages.

use crate::support::*;

#[tokio::test]
async fn every_page_is_unframeable_and_uncached() {
    let server = server().await;
    let browser = browser();
    let (id, _) = park_interaction(&server, &browser, &[], None).await;
    for path in [
        format!("/login?interaction={id}"),
        "/login?interaction=unknown".to_owned(),
        "/no-such-page".to_owned(),
    ] {
        let page = browser.get(&server.url(&path)).await.unwrap();
        assert_page_headers(&page);
    }
}

#[tokio::test]
async fn error_pages_show_the_code_and_the_request_id() {
    let server = server().await;
    let page = browser()
        .get(&server.url("/login?interaction=unknown"))
        .await
        .unwrap();
    assert_eq!(page.status, 400);
    assert_eq!(page.text_by_id("error-code").as_deref(), Some("PF-WEB-001"));
    assert_eq!(
        page.text_by_id("request-id").as_deref(),
        page.header("x-request-id")
    );
    assert!(page.header("location").is_none());
}

#[tokio::test]
async fn the_style_sheet_is_served_by_us() {
    let server = server().await;
    let page = browser()
        .get(&server.url("/assets/pforte.css"))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/css"));
    assert!(page.body.contains("--accent"));
}

#[tokio::test]
async fn body_limit_refuses_oversized_requests() {
    let server = server().await;
    let huge = "x".repeat(pforte_web::BODY_LIMIT_BYTES + 1);
    let page = browser()
        .post_form(&server.url("/token"), &[("a".to_owned(), huge)])
        .await
        .unwrap();
    assert_eq!(page.status, 413);
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn demo_callback_exists_only_with_the_demo() {
    let without = server().await;
    let page = browser()
        .get(&without.url("/demo/callback?code=abc"))
        .await
        .unwrap();
    assert_eq!(page.status, 404);

    let with = pforte_testkit::TestServer::start_with(|settings| settings.demo = true)
        .await
        .unwrap();
    let page = browser()
        .get(&with.url("/demo/callback?code=c0de&state=s1&iss=x"))
        .await
        .unwrap();
    assert_eq!(page.status, 200);
    assert_page_headers(&page);
    assert_eq!(page.text_by_id("demo-code").as_deref(), Some("c0de"));
    let curl = page.text_by_id("demo-curl").unwrap();
    assert!(curl.contains("demo-portal:DEMO_CLIENT_SECRET"));
    assert!(curl.contains(&with.url("/token")));
}

#[tokio::test]
async fn the_home_page_is_a_plain_page() {
    let server = server().await;
    let page = browser().get(&server.url("/")).await.unwrap();
    assert_eq!(page.status, 200);
    assert_page_headers(&page);
    assert_eq!(page.lang().as_deref(), Some("de"));
}

#[tokio::test]
async fn rfc6749_3_2_token_requests_must_be_form_encoded() {
    let server = server().await;
    let page = browser()
        .post_raw(
            &server.url("/token"),
            "application/json",
            r#"{"grant_type":"client_credentials"}"#,
        )
        .await
        .unwrap();
    assert_eq!(page.status, 400);
    assert_eq!(page.header("content-type"), Some("application/json"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let error: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(error["error"], "invalid_request");
}
