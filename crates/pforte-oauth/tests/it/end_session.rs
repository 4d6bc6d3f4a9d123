//! Tests of RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)
//! through the `Provider` API. The cases follow the OpenID conformance suite's
//! RP-initiated logout plan: bad or foreign hints and unregistered URIs never
//! redirect.

use crate::support::{Fixture, params};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use pforte_crypto::SigningAlg;
use pforte_crypto::jose::SigningKey;
use pforte_oauth::{ErrorCode, LogoutOutcome};
use pforte_types::AccountId;

const BYE: &str = "https://portal.example/bye";

fn proceed(redirect_to: Option<&str>) -> LogoutOutcome {
    LogoutOutcome::Proceed {
        redirect_to: redirect_to.map(str::to_owned),
    }
}

fn confirm(redirect_to: Option<&str>) -> LogoutOutcome {
    LogoutOutcome::Confirm {
        redirect_to: redirect_to.map(str::to_owned),
    }
}

#[tokio::test]
async fn rp_initiated_logout_2_valid_hint_for_this_session_redirects_with_state() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    // Expired hints are accepted (section 2).
    fixture.clock.advance(TimeDelta::days(1));
    let request = params(&[
        ("id_token_hint", &hint),
        ("post_logout_redirect_uri", BYE),
        ("state", "bye-state"),
        ("ui_locales", "de"),
    ]);
    let outcome = fixture
        .provider
        .end_session(&request, Some(&session))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        proceed(Some("https://portal.example/bye?state=bye-state"))
    );

    let with_client_id = params(&[
        ("id_token_hint", &hint),
        ("post_logout_redirect_uri", BYE),
        ("client_id", "portal"),
    ]);
    let outcome = fixture
        .provider
        .end_session(&with_client_id, Some(&session))
        .await
        .unwrap();
    assert_eq!(outcome, proceed(Some(BYE)), "no state, none appended");
}

#[tokio::test]
async fn rp_initiated_logout_2_valid_hint_without_session_proceeds() {
    let fixture = Fixture::new().await;
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let request = params(&[("id_token_hint", &hint), ("post_logout_redirect_uri", BYE)]);
    let outcome = fixture.provider.end_session(&request, None).await.unwrap();
    assert_eq!(outcome, proceed(Some(BYE)));
}

#[tokio::test]
async fn rp_initiated_logout_hint_for_another_session_asks_the_user() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let cases = [
        (
            "another account",
            fixture.id_token_for("portal", AccountId::new(), "sid-1"),
        ),
        (
            "another session of the same account",
            fixture.id_token_for("portal", fixture.account, "sid-old"),
        ),
    ];
    for (what, hint) in cases {
        let request = params(&[("id_token_hint", &hint), ("post_logout_redirect_uri", BYE)]);
        let outcome = fixture
            .provider
            .end_session(&request, Some(&session))
            .await
            .unwrap();
        assert_eq!(outcome, confirm(Some(BYE)), "{what}");
    }
}

#[tokio::test]
async fn rp_initiated_logout_without_parameters_still_logs_out() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let nothing = params(&[]);
    assert_eq!(
        fixture
            .provider
            .end_session(&nothing, Some(&session))
            .await
            .unwrap(),
        confirm(None)
    );
    assert_eq!(
        fixture.provider.end_session(&nothing, None).await.unwrap(),
        proceed(None)
    );
    let only_state = params(&[("state", "s")]);
    assert_eq!(
        fixture
            .provider
            .end_session(&only_state, Some(&session))
            .await
            .unwrap(),
        confirm(None)
    );
}

#[tokio::test]
async fn rp_initiated_logout_without_hint_never_redirects() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let cases = [
        params(&[("post_logout_redirect_uri", BYE)]),
        params(&[
            ("post_logout_redirect_uri", BYE),
            ("client_id", "portal"),
            ("state", "s"),
        ]),
    ];
    for request in cases {
        let outcome = fixture
            .provider
            .end_session(&request, Some(&session))
            .await
            .unwrap();
        assert_eq!(outcome, confirm(None), "{request:?}");
    }
}

#[tokio::test]
async fn rp_initiated_logout_unregistered_post_logout_redirect_uri_is_an_error_page() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let cases = [
        params(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", "https://evil.example/bye"),
        ]),
        // Query added to the registered URI.
        params(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", "https://portal.example/bye?x=1"),
        ]),
        // Another client's URI.
        params(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", "https://app.example/bye"),
        ]),
        // Named by client_id alone.
        params(&[
            ("client_id", "portal"),
            ("post_logout_redirect_uri", "https://evil.example/bye"),
        ]),
    ];
    for request in cases {
        let error = fixture
            .provider
            .end_session(&request, Some(&session))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest, "{request:?}");
    }
}

#[tokio::test]
async fn rp_initiated_logout_modified_or_foreign_hints_never_redirect() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let parts: Vec<&str> = hint.split('.').collect();

    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let alg_none = format!("{none_header}.{}.", parts[1]);
    let foreign_key = SigningKey::generate(SigningAlg::RS256, "foreign".into()).unwrap();
    let payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let foreign = foreign_key
        .sign_json(payload.as_object().unwrap(), None)
        .unwrap();
    let bad_signature = format!("{}.{}.{}", parts[0], parts[1], "AAAA");

    for (what, token) in [
        ("alg none", alg_none.as_str()),
        ("foreign key", foreign.as_str()),
        ("bad signature", bad_signature.as_str()),
        ("garbage", "not.a.jwt"),
    ] {
        let request = params(&[
            ("id_token_hint", token),
            ("post_logout_redirect_uri", BYE),
            ("state", "s"),
        ]);
        let with_session = fixture
            .provider
            .end_session(&request, Some(&session))
            .await
            .unwrap();
        assert_eq!(with_session, confirm(None), "{what}");
        let without = fixture.provider.end_session(&request, None).await.unwrap();
        assert_eq!(without, proceed(None), "{what}");
    }
}

#[tokio::test]
async fn rp_initiated_logout_client_id_must_be_the_hints_audience() {
    let fixture = Fixture::new().await;
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let request = params(&[("id_token_hint", &hint), ("client_id", "app")]);
    let error = fixture
        .provider
        .end_session(&request, Some(&fixture.session()))
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn rfc6749_3_1_repeated_logout_parameters_are_an_error_page() {
    let fixture = Fixture::new().await;
    let request = params(&[("state", "a"), ("state", "b")]);
    let error = fixture
        .provider
        .end_session(&request, None)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}
