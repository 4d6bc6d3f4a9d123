//! Assurance levels at the authorization endpoint (R-AC-2, R-AC-3, R-AC-4):
//! the required level reaches the login flow, a session below it steps up,
//! and the completion never issues a code for a login below it.

use super::*;
use crate::support::{SECRET, basic, claims_of};
use serde_json::json;

fn essential(values: &[&str]) -> String {
    json!({"id_token": {"acr": {"essential": true, "values": values}}}).to_string()
}

/// The fixture's login, at another level.
fn login_at(fixture: &Fixture, acr: &str) -> pforte_types::AuthResult {
    let mut login = fixture.login();
    acr.clone_into(&mut login.acr);
    login
}

async fn redeem(
    fixture: &Fixture,
    response: &AuthorizationResponse,
) -> pforte_oauth::TokenResponse {
    let code = response_param(response, "code").expect("a code");
    fixture
        .provider
        .token(
            &params(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", PORTAL_CB),
            ]),
            Some(&basic("portal", SECRET)),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn r_ac_3_session_at_loa_low_asked_for_loa_substantial_steps_up() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let InteractionRequired { target, pending } = interaction(
        fixture
            .provider
            .authorize(
                &portal(&[("acr_values", "loa-substantial"), ("max_age", "3600")]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(target.required_acr.as_deref(), Some("loa-substantial"));
    assert!(!target.essential_acr);
    assert!(
        !target.force_reauthentication,
        "only the missing factor is asked"
    );
    assert_eq!(target.max_age, Some(3600));
    assert_eq!(target.acr_values, ["loa-substantial"]);
    assert_eq!(pending.required_acr.as_deref(), Some("loa-substantial"));

    // The login flow adds the factor; the code carries the new level to the
    // tokens and to introspection.
    let mut login = login_at(&fixture, "loa-substantial");
    login.amr = vec!["pwd".to_owned(), "otp".to_owned()];
    let response = respond(
        fixture
            .provider
            .resume_authorization(&pending, &login, ConsentDecision::NotAsked)
            .await,
    );
    let tokens = redeem(&fixture, &response).await;
    let id_token = claims_of(tokens.id_token.as_deref().unwrap());
    assert_eq!(id_token["acr"], "loa-substantial");
    assert_eq!(id_token["amr"], json!(["pwd", "otp"]));
    assert_eq!(id_token["auth_time"], login.auth_time.timestamp());
    let access = claims_of(&tokens.access_token);
    assert_eq!(access["acr"], "loa-substantial");
    let answer = fixture
        .provider
        .introspect(
            &params(&[("token", &tokens.access_token)]),
            Some(&basic("portal", SECRET)),
        )
        .await
        .unwrap();
    assert_eq!(answer["acr"], "loa-substantial");
    assert_eq!(answer["amr"], json!(["pwd", "otp"]));
    assert_eq!(answer["auth_time"], login.auth_time.timestamp());
}

#[tokio::test]
async fn r_ac_2_a_session_at_or_above_the_level_gets_a_code_at_once() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    for asked in ["loa-low", "urn:unknown loa-low", "urn:unknown"] {
        let response = respond(
            fixture
                .provider
                .authorize(&portal(&[("acr_values", asked)]), Some(&session))
                .await,
        );
        assert!(response_param(&response, "code").is_some(), "{asked}");
    }
}

#[tokio::test]
async fn oidc_core_3_1_2_6_prompt_none_below_the_level_is_login_required() {
    let fixture = Fixture::new().await;
    let session = fixture.session();
    let response = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("acr_values", "loa-high"), ("prompt", "none")]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(error_of(&response), "login_required");
    assert_eq!(response_param(&response, "state"), Some("st-1"));
    let response = respond(
        fixture
            .provider
            .authorize(
                &portal(&[
                    ("claims", &essential(&["loa-substantial"])),
                    ("prompt", "none"),
                ]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(error_of(&response), "login_required");
}

#[tokio::test]
async fn oidc_core_5_5_1_1_essential_acr_with_no_known_level_is_unmet() {
    let fixture = Fixture::new().await;
    let response = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("claims", &essential(&["urn:eidas:loa:unheard-of"]))]),
                Some(&fixture.session()),
            )
            .await,
    );
    assert_eq!(error_of(&response), "unmet_authentication_requirements");
    assert_eq!(response_param(&response, "state"), Some("st-1"));
}

#[tokio::test]
async fn r_ac_2_client_default_and_minimum_raise_the_required_level() {
    let fixture = Fixture::new().await;
    let mut strict = web_client("strict", &fixture.secrets);
    strict.redirect_uris = vec![PORTAL_CB.to_owned()];
    strict.minimum_acr = Some("loa-substantial".to_owned());
    fixture.add_client(strict).await;
    let mut defaulted = web_client("defaulted", &fixture.secrets);
    defaulted.redirect_uris = vec![PORTAL_CB.to_owned()];
    defaulted.default_acr_values = vec!["loa-high".to_owned()];
    fixture.add_client(defaulted).await;
    let session = fixture.session();

    let InteractionRequired { target, .. } = interaction(
        fixture
            .provider
            .authorize(
                &portal(&[("client_id", "strict"), ("acr_values", "loa-low")]),
                Some(&session),
            )
            .await,
    );
    assert_eq!(target.required_acr.as_deref(), Some("loa-substantial"));

    let InteractionRequired { target, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("client_id", "defaulted")]), Some(&session))
            .await,
    );
    assert_eq!(target.required_acr.as_deref(), Some("loa-high"));
    // A level named in the request replaces the default.
    let response = respond(
        fixture
            .provider
            .authorize(
                &portal(&[("client_id", "defaulted"), ("acr_values", "loa-low")]),
                Some(&session),
            )
            .await,
    );
    assert!(response_param(&response, "code").is_some());
}

#[tokio::test]
async fn r_ac_4_resume_refuses_a_login_below_the_required_level() {
    let fixture = Fixture::new().await;
    let voluntary = interaction(
        fixture
            .provider
            .authorize(&portal(&[("acr_values", "loa-high")]), None)
            .await,
    );
    let essential_request = interaction(
        fixture
            .provider
            .authorize(
                &portal(&[("claims", &essential(&["loa-substantial", "loa-high"]))]),
                None,
            )
            .await,
    );
    assert!(essential_request.target.essential_acr);
    assert_eq!(
        essential_request.target.required_acr.as_deref(),
        Some("loa-substantial")
    );
    let cases = [
        (&voluntary, "loa-low", Some("access_denied")),
        (&voluntary, "loa-substantial", Some("access_denied")),
        (&voluntary, "urn:unknown", Some("access_denied")),
        (&voluntary, "loa-high", None),
        (
            &essential_request,
            "loa-low",
            Some("unmet_authentication_requirements"),
        ),
        (&essential_request, "loa-substantial", None),
    ];
    for (request, reached, expected) in cases {
        let response = respond(
            fixture
                .provider
                .resume_authorization(
                    &request.pending,
                    &login_at(&fixture, reached),
                    ConsentDecision::NotAsked,
                )
                .await,
        );
        match expected {
            Some(error) => {
                assert_eq!(error_of(&response), error, "{reached}");
                assert_eq!(response_param(&response, "state"), Some("st-1"));
            }
            None => assert!(response_param(&response, "code").is_some(), "{reached}"),
        }
    }
}

#[tokio::test]
async fn r_ac_4_a_minimum_raised_during_the_login_still_counts() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("prompt", "login")]), None)
            .await,
    );
    let mut portal_client = web_client("portal", &fixture.secrets);
    portal_client.minimum_acr = Some("loa-substantial".to_owned());
    use pforte_oauth::ports::ClientStore;
    fixture.store.remove_client("portal").await.unwrap();
    fixture.store.insert_client(&portal_client).await.unwrap();
    let response = respond(
        fixture
            .provider
            .resume_authorization(&pending, &fixture.login(), ConsentDecision::NotAsked)
            .await,
    );
    assert_eq!(error_of(&response), "access_denied");
}

#[tokio::test]
async fn oidc_core_5_5_1_1_a_higher_login_answers_with_a_requested_essential_value() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(
                &portal(&[("claims", &essential(&["loa-substantial"]))]),
                None,
            )
            .await,
    );
    let response = respond(
        fixture
            .provider
            .resume_authorization(
                &pending,
                &login_at(&fixture, "loa-high"),
                ConsentDecision::NotAsked,
            )
            .await,
    );
    let record = stored_code(&fixture, &response).await;
    assert_eq!(record.auth.acr, "loa-substantial");
}

#[tokio::test]
async fn r_ac_4_the_login_flow_can_abort_with_unmet_requirements_or_access_denied() {
    let fixture = Fixture::new().await;
    let InteractionRequired { pending, .. } = interaction(
        fixture
            .provider
            .authorize(&portal(&[("claims", &essential(&["loa-high"]))]), None)
            .await,
    );
    let cases = [
        (
            OAuthError::unmet_authentication_requirements("no device key is registered"),
            "unmet_authentication_requirements",
        ),
        (
            OAuthError::access_denied("the user cancelled the login"),
            "access_denied",
        ),
    ];
    for (error, expected) in cases {
        let response = fixture.provider.abort_authorization(&pending, &error);
        assert_eq!(error_of(&response), expected);
        assert_eq!(
            response_param(&response, "error_description"),
            Some(error.description.as_str())
        );
        assert_eq!(response_param(&response, "state"), Some("st-1"));
    }
    assert_eq!(
        ErrorCode::UnmetAuthenticationRequirements.as_str(),
        "unmet_authentication_requirements"
    );
}
