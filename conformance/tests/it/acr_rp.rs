//! Assurance levels as a relying party sees them (R-AC-2, OIDC Core 3.1.2.1
//! `acr_values` and `max_age`, 5.5.1.1 the essential `acr` claim, Discovery
//! `acr_values_supported`): the `openidconnect` crate builds the requests and
//! verifies the ID tokens; the user's part is played without a browser.

use crate::support::factors::{Person, acr, add_user, amr, auth_time, login, prepare, web_rp};
use crate::support::rp::{Request, discover, walk};
use crate::support::{PASSWORD, shared};

const SUBSTANTIAL: &str = "loa-substantial";

/// The essential `acr` claim of the `claims` parameter (OIDC Core 5.5.1.1).
fn essential_acr(values: &[&str]) -> String {
    serde_json::json!({ "id_token": { "acr": { "essential": true, "values": values } } })
        .to_string()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

#[tokio::test]
async fn r_ac_1_discovery_lists_the_levels_lowest_first() {
    let metadata = discover(&shared().server.issuer).await;
    let levels: Vec<String> = metadata
        .acr_values_supported()
        .expect("acr_values_supported in the discovery document")
        .iter()
        .map(|level| level.as_str().to_owned())
        .collect();
    assert_eq!(levels, strings(&["loa-low", SUBSTANTIAL, "loa-high"]));
}

/// The first login at `loa-substantial` enrols the authenticator app
/// (R-AC-4); the second one, in a new user agent, asks the password and the
/// code and reports the requested level.
#[tokio::test]
async fn r_ac_2_acr_values_reach_the_requested_level() {
    let Some(server) = prepare(None) else {
        return;
    };
    add_user(&server, "anja", PASSWORD, &[]);
    server.start();
    let rp = web_rp(&server).await;
    let request = Request::scopes(&["openid"]).param("acr_values", SUBSTANTIAL);

    let mut person = Person::new(&server, "anja");
    let first = login(&rp, &mut person, &request).await;
    assert_eq!(
        first.run.pages,
        ["login", "enrol", "enrol-totp", "recovery-codes"]
    );
    assert_eq!(acr(&first.claims), SUBSTANTIAL);

    let mut again = Person {
        agent: crate::support::UserAgent::new(&server.issuer),
        ..person
    };
    let second = login(&rp, &mut again, &request).await;
    assert_eq!(second.run.pages, ["login", "factor"]);
    assert_eq!(acr(&second.claims), SUBSTANTIAL);
    assert_eq!(amr(&second.claims), strings(&["otp", "pwd", "mfa"]));

    // Without a request for a level, a password is enough: loa-low.
    let mut third = Person {
        agent: crate::support::UserAgent::new(&server.issuer),
        ..again
    };
    let low = login(&rp, &mut third, &Request::scopes(&["openid"])).await;
    assert_eq!(low.run.pages, ["login"]);
    assert_eq!(acr(&low.claims), "loa-low");
    assert_eq!(amr(&low.claims), strings(&["pwd"]));
}

/// OIDC Core 5.5.1.1: an essential `acr` claim with a known value is met and
/// answered with that value; one naming only levels the provider does not
/// have cannot be met, and the relying party hears so at its redirect URI.
#[tokio::test]
async fn oidc_core_5_5_1_1_essential_acr_in_claims_is_honoured() {
    let Some(server) = prepare(None) else {
        return;
    };
    add_user(&server, "emil", PASSWORD, &[]);
    server.start();
    let rp = web_rp(&server).await;

    let mut person = Person::new(&server, "emil");
    let met = login(
        &rp,
        &mut person,
        &Request::scopes(&["openid"]).param("claims", essential_acr(&[SUBSTANTIAL])),
    )
    .await;
    assert_eq!(
        met.run.pages,
        ["login", "enrol", "enrol-totp", "recovery-codes"],
        "the essential level did not lead to a second factor"
    );
    assert_eq!(acr(&met.claims), SUBSTANTIAL);
    assert_eq!(amr(&met.claims), strings(&["otp", "pwd", "mfa"]));

    let started = rp.start(
        &Request::scopes(&["openid"]).param("claims", essential_acr(&["urn:example:loa:99"])),
    );
    let fresh = crate::support::UserAgent::new(&server.issuer);
    let refused = walk(&fresh, started.url.as_str(), Some(("emil", PASSWORD)))
        .await
        .done();
    assert_eq!(
        refused.target,
        crate::support::fixture::WEB_REDIRECT,
        "{refused:?}"
    );
    assert_eq!(
        refused.get("error"),
        Some("unmet_authentication_requirements"),
        "{:?}",
        refused.params
    );
    assert_eq!(refused.get("state"), Some(started.state.secret().as_str()));
    assert_eq!(refused.get("iss"), Some(server.issuer.as_str()));
    assert!(refused.get("code").is_none());
    assert_eq!(refused.logins, 0, "the user was asked to log in first");
}

/// R-AC-2: a relying party protecting a sensitive action sends `max_age=0`
/// with the level it needs; a live session at that level does not count,
/// the password and the code are asked again, and `auth_time` is new.
#[tokio::test]
async fn r_ac_2_max_age_0_forces_a_new_authentication_for_a_sensitive_action() {
    let Some(server) = prepare(None) else {
        return;
    };
    add_user(&server, "mara", PASSWORD, &[]);
    server.start();
    let rp = web_rp(&server).await;
    let request = Request::scopes(&["openid"]).param("acr_values", SUBSTANTIAL);

    let mut person = Person::new(&server, "mara");
    let first = login(&rp, &mut person, &request).await;
    assert_eq!(acr(&first.claims), SUBSTANTIAL);

    // The session is reused while nothing forces a new login.
    let reused = login(&rp, &mut person, &request).await;
    assert!(reused.run.pages.is_empty(), "{:?}", reused.run.pages);
    assert_eq!(auth_time(&reused.claims), auth_time(&first.claims));

    server.advance_clock(120);
    let sensitive = login(&rp, &mut person, &request.clone().param("max_age", "0")).await;
    assert_eq!(sensitive.run.pages, ["login", "factor"]);
    assert_eq!(acr(&sensitive.claims), SUBSTANTIAL);
    assert_eq!(amr(&sensitive.claims), strings(&["otp", "pwd", "mfa"]));
    assert!(
        auth_time(&sensitive.claims) > auth_time(&first.claims),
        "auth_time did not move: {} vs {}",
        auth_time(&sensitive.claims),
        auth_time(&first.claims)
    );
}
