//! How the session decides: code at once, login interaction, or
//! `login_required` (prompt, max_age, id_token_hint).

use super::*;

#[tokio::test]
async fn oidc_core_3_1_2_3_without_session_the_login_flow_takes_over() {
    let fixture = Fixture::new().await;
    let request = portal(&[
        ("scope", "openid email api"),
        ("login_hint", "erika"),
        ("ui_locales", "de en"),
        ("acr_values", "loa-high"),
        (
            "claims",
            r#"{"id_token":{"acr":{"essential":true,"values":["loa-substantial"]}},"userinfo":{"email":null}}"#,
        ),
        ("max_age", "600"),
        ("response_mode", "form_post"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let InteractionRequired { target, pending } =
        interaction(fixture.provider.authorize(&request, None).await);
    assert_eq!(target.client_id, "portal");
    assert_eq!(target.client_name.as_deref(), Some("portal portal"));
    assert_eq!(target.login_hint.as_deref(), Some("erika"));
    assert_eq!(target.required_account, None);
    assert!(!target.force_reauthentication);
    assert!(!target.consent_required);
    assert_eq!(target.acr_values, ["loa-high", "loa-substantial"]);
    assert_eq!(target.ui_locales, ["de", "en"]);
    assert_eq!(target.requested_scopes, ["openid", "email", "api"]);

    assert_eq!(pending.client_id, "portal");
    assert_eq!(pending.redirect_uri, PORTAL_CB);
    assert_eq!(pending.response_mode, ResponseMode::FormPost);
    assert_eq!(pending.scopes, ["openid", "email", "api"]);
    assert_eq!(pending.state.as_deref(), Some("st-1"));
    assert_eq!(pending.nonce.as_deref(), Some("n-1"));
    assert_eq!(pending.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(pending.max_age, Some(600));
    assert_eq!(pending.acr_values, target.acr_values);
    assert!(pending.claims.is_some());
    assert_eq!(pending.hinted_account, None);
}

#[tokio::test]
async fn oidc_core_3_1_2_1_prompt_login_and_consent_ask_the_user_again() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let cases = [
        ("login", true, false),
        ("consent", false, true),
        ("login consent", true, true),
    ];
    for (prompt, force, consent) in cases {
        let InteractionRequired { target, pending } = interaction(
            fixture
                .provider
                .authorize(&portal(&[("prompt", prompt)]), Some(&session))
                .await,
        );
        assert_eq!(target.force_reauthentication, force, "{prompt}");
        assert_eq!(target.consent_required, consent, "{prompt}");
        assert_eq!(pending.prompt.contains(&Prompt::Consent), consent);
    }
}

#[tokio::test]
async fn oidc_core_3_1_2_6_prompt_none_without_session_is_login_required() {
    let fixture = Fixture::new().await;
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "none")]), None)
            .await,
    );
    assert_eq!(error_of(&response), "login_required");
    assert_eq!(response_param(&response, "state"), Some("st-1"));
    assert_eq!(response.redirect_uri, PORTAL_CB);
}

#[tokio::test]
async fn oidc_core_3_1_2_1_prompt_none_with_session_issues_without_ui() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    fixture.clock.advance(TimeDelta::minutes(10));
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "none")]), Some(&session))
            .await,
    );
    let record = stored_code(&fixture, &response).await;
    assert_eq!(record.account_id, fixture.account);
    assert_eq!(
        record.auth.auth_time, session.auth_time,
        "auth_time stays the login's"
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_1_max_age_forces_reauthentication_once_passed() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    fixture.clock.advance(TimeDelta::seconds(2));

    let within = respond(
        fixture
            .provider
            .authorize(&portal(&[("max_age", "10000")]), Some(&session))
            .await,
    );
    assert!(response_param(&within, "code").is_some());

    for max_age in ["1", "0"] {
        let InteractionRequired { target, .. } = interaction(
            fixture
                .provider
                .authorize(&portal(&[("max_age", max_age)]), Some(&session))
                .await,
        );
        assert!(target.force_reauthentication, "max_age={max_age}");
    }
    let silent = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("max_age", "1"), ("prompt", "none")]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(error_of(&silent), "login_required");
}

#[tokio::test]
async fn oidc_core_3_1_2_1_id_token_hint_names_the_expected_user() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    // An expired hint is still a hint.
    fixture.clock.advance(TimeDelta::hours(2));

    let silent = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("prompt", "none"), ("id_token_hint", &hint)]),
                Some(&session),
            )
            .await,
    );
    assert!(response_param(&silent, "code").is_some(), "{silent:?}");

    let someone_else = fixture.id_token_for("portal", AccountId::new(), "sid-9");
    let silent_mismatch = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("prompt", "none"), ("id_token_hint", &someone_else)]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(error_of(&silent_mismatch), "login_required");

    let InteractionRequired { target, pending } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &someone_else)]), Some(&session))
            .await,
    );
    assert!(target.force_reauthentication);
    assert!(target.required_account.is_some());
    assert_eq!(pending.hinted_account, target.required_account);

    let InteractionRequired { target, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &hint)]), None)
            .await,
    );
    assert_eq!(target.required_account, Some(fixture.account));
}

#[tokio::test]
async fn oidc_core_3_1_2_1_id_token_hint_for_another_client_is_refused() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let for_app = fixture.id_token_for("app", fixture.account, "sid-1");
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &for_app)]), Some(&session))
            .await,
    );
    assert_eq!(error_of(&response), "invalid_request");

    // A hint whose payload was swapped no longer verifies.
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let other = fixture.id_token_for("portal", AccountId::new(), "sid-1");
    let parts: Vec<&str> = hint.split('.').collect();
    let other_parts: Vec<&str> = other.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
    let response = respond(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &spliced)]), Some(&session))
            .await,
    );
    assert_eq!(error_of(&response), "invalid_request");
}
