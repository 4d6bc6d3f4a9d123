//! Finishing a pending request: `resume_authorization` after the login and
//! consent, `abort_authorization` when the user gives up.

use super::*;

#[tokio::test]
async fn resume_after_login_issues_the_code_for_the_new_login() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "login")]), None)
            .await,
    );
    fixture.clock.advance(TimeDelta::seconds(30));
    let mut login = fixture.login();
    login.sid = "sid-new".to_owned();
    login.amr = vec!["pwd".to_owned(), "otp".to_owned()];
    let response = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(response_param(&response, "state"), Some("st-1"));
    assert_eq!(response_param(&response, "iss"), Some(ISSUER));
    let record = stored_code(&fixture, &response).await;
    assert_eq!(record.auth.sid.as_deref(), Some("sid-new"));
    assert_eq!(record.auth.amr, ["pwd", "otp"]);
    assert_eq!(record.auth.auth_time, login.auth_time);
    assert_eq!(
        record.expires_at,
        fixture.clock_now() + TimeDelta::seconds(60)
    );
}

#[tokio::test]
async fn resume_honours_the_consent_decision() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "consent")]), Some(&session))
            .await,
    );
    let login = session.as_auth_result();

    let denied = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::Denied)
            .await,
    );
    assert_eq!(error_of(&denied), "access_denied");
    assert_eq!(response_param(&denied, "state"), Some("st-1"));

    let not_asked = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(error_of(&not_asked), "consent_required");

    let granted = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::Granted)
            .await,
    );
    assert!(response_param(&granted, "code").is_some());
}

#[tokio::test]
async fn resume_refuses_a_login_by_another_account_than_the_hint_names() {
    let fixture = Fixture::new().await;
    let hint = fixture.id_token_for("portal", fixture.account, "sid-1");
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("id_token_hint", &hint)]), None)
            .await,
    );
    let mut login = fixture.login();
    login.account_id = AccountId::new();
    let response = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(error_of(&response), "login_required");
}

#[tokio::test]
async fn resume_checks_the_client_and_redirect_uri_again() {
    use pforte_oauth::ports::ClientStore;
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } =
        interaction(fixture.provider.authorize(&portal(&[]), None).await);

    let mut tampered = pending.clone();
    tampered.redirect_uri = "https://evil.example/cb".to_owned();
    error_page(
        fixture
            .provider
            .resume_authorization(&tampered, &fixture.login(), ConsentDecision::NotAsked)
            .await,
    );

    fixture.store.remove_client("portal").await.unwrap();
    error_page(
        fixture
            .provider
            .resume_authorization(&pending, &fixture.login(), ConsentDecision::NotAsked)
            .await,
    );
}

#[tokio::test]
async fn abort_sends_the_error_with_state_and_iss_to_the_verified_uri() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("response_mode", "form_post")]), None)
            .await,
    );
    let error = OAuthError::new(ErrorCode::AccessDenied, "PF-TEST-1", "the user cancelled");
    let response = fixture.provider.abort_authorization(&pending, &error);
    assert_eq!(response.redirect_uri, PORTAL_CB);
    assert_eq!(response.mode, ResponseMode::FormPost);
    assert_eq!(
        response.params,
        [
            ("error".to_owned(), "access_denied".to_owned()),
            (
                "error_description".to_owned(),
                "the user cancelled".to_owned()
            ),
            ("state".to_owned(), "st-1".to_owned()),
            ("iss".to_owned(), ISSUER.to_owned()),
        ]
    );
}
