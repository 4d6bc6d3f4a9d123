//! Each use case's role check and effect (R-OP-1, R-AC-2, R-OP-3).

use crate::support::{Harness, POLICY_TEXT, context, operator};
use axum::http::StatusCode;
use pforte_admin::AdminError;
use pforte_admin::usecases::clients::{self, ClientChanges, NewClient};
use pforte_admin::usecases::{keys, policies};
use pforte_identity::audit::AuditKind;
use pforte_identity::operator_roles::{Permission, Role};

fn new_portal() -> NewClient {
    NewClient {
        client_id: "portal".to_owned(),
        name: Some("Kundenportal".to_owned()),
        redirect_uris: vec!["https://portal.example/cb".to_owned()],
        ..NewClient::default()
    }
}

fn changes(client: &clients::ClientView) -> ClientChanges {
    ClientChanges {
        name: client.name.clone(),
        redirect_uris: client.redirect_uris.clone(),
        post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
        auth_method: client.auth_method.clone(),
        default_acr_values: client.default_acr_values.clone(),
        minimum_acr: client.minimum_acr.clone(),
        require_par: client.require_par,
        brand: client.brand.clone(),
    }
}

fn forbidden<T: std::fmt::Debug>(result: Result<T, AdminError>, permission: Permission) {
    match result {
        Err(AdminError::Forbidden(refused)) => assert_eq!(refused, permission),
        other => panic!("expected Forbidden({permission:?}), got {other:?}"),
    }
}

#[tokio::test]
async fn r_op_1_support_cannot_see_or_edit_clients_keys_or_policies() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let support = operator("sam", &[Role::Support]);
    forbidden(
        clients::list_clients(state, &support).await,
        Permission::ViewClients,
    );
    forbidden(
        clients::create_client(state, &support, context(), new_portal()).await,
        Permission::ManageClients,
    );
    forbidden(keys::list_keys(state, &support).await, Permission::ViewKeys);
    forbidden(
        keys::rotate_keys(state, &support, context()).await,
        Permission::RotateKeys,
    );
    forbidden(
        policies::view_policy(state, &support),
        Permission::ViewPolicies,
    );
    forbidden(
        policies::validate_policy(&support, POLICY_TEXT),
        Permission::ValidatePolicy,
    );
    let admin = operator("ada", &[Role::SecurityAdmin]);
    assert!(
        clients::list_clients(state, &admin)
            .await
            .unwrap()
            .iter()
            .all(|client| client.client_id != "portal"),
        "support's refused create stored nothing"
    );
}

#[tokio::test]
async fn r_op_1_auditor_reads_clients_keys_and_policy_but_changes_nothing() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    clients::create_client(state, &admin, context(), new_portal())
        .await
        .unwrap();
    let auditor = operator("aud", &[Role::Auditor]);
    let listed = clients::list_clients(state, &auditor).await.unwrap();
    let portal = listed
        .iter()
        .find(|client| client.client_id == "portal")
        .unwrap();
    assert_eq!(
        &clients::show_client(state, &auditor, "portal")
            .await
            .unwrap(),
        portal
    );
    assert!(!keys::list_keys(state, &auditor).await.unwrap().is_empty());
    assert!(policies::view_policy(state, &auditor).is_ok());

    forbidden(
        clients::update_client(state, &auditor, context(), "portal", changes(portal)).await,
        Permission::ManageClients,
    );
    forbidden(
        clients::new_client_secret(state, &auditor, context(), "portal").await,
        Permission::ManageClients,
    );
    forbidden(
        keys::rotate_keys(state, &auditor, context()).await,
        Permission::RotateKeys,
    );
    forbidden(
        policies::validate_policy(&auditor, POLICY_TEXT),
        Permission::ValidatePolicy,
    );
}

#[tokio::test]
async fn r_op_1_created_client_secret_is_shown_once_and_never_again() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    let created = clients::create_client(state, &admin, context(), new_portal())
        .await
        .unwrap();
    let secret = created.client_secret.clone().unwrap();
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    assert!(created.client.has_secret);

    // Neither the list nor the detail carries the secret or its digest.
    let shown = clients::show_client(state, &admin, "portal").await.unwrap();
    let listed = clients::list_clients(state, &admin).await.unwrap();
    for text in [
        serde_json::to_string(&shown).unwrap(),
        serde_json::to_string(&listed).unwrap(),
    ] {
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains("hmac-sha256"), "{text}");
    }

    // The secret works at the token endpoint of the running provider.
    let stored = state
        .web
        .oauth
        .clients()
        .get_client("portal")
        .await
        .unwrap()
        .unwrap();
    assert!(
        state
            .web
            .oauth
            .secrets()
            .verify(&secret, stored.secret_digest.as_deref().unwrap())
    );

    let again = clients::create_client(state, &admin, context(), new_portal()).await;
    assert!(matches!(again, Err(AdminError::Invalid(ref text)) if text.contains("already")));

    let events = harness.events(AuditKind::ClientCreated).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client.as_deref(), Some("portal"));
    assert_eq!(events[0].operator.as_deref(), Some("ada"), "R-OP-3");
    assert!(!events[0].line().contains(&secret));
}

#[tokio::test]
async fn r_ac_2_an_edit_is_checked_by_the_shared_rules_and_reports_every_problem() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    let created = clients::create_client(state, &admin, context(), new_portal())
        .await
        .unwrap();
    let mut bad = changes(&created.client);
    bad.redirect_uris = vec!["http://portal.example/cb".to_owned()];
    bad.minimum_acr = Some("loa-extreme".to_owned());
    bad.brand = Some("unknown".to_owned());
    let Err(AdminError::Invalid(problems)) =
        clients::update_client(state, &admin, context(), "portal", bad).await
    else {
        panic!("an invalid edit was accepted");
    };
    let problems: Vec<&str> = problems.lines().collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].starts_with("redirect_uris: http://portal.example/cb"));
    assert!(problems[1].starts_with("minimum_acr: \"loa-extreme\""));
    assert!(problems[2].starts_with("brand: \"unknown\" is not a brand"));
    // Nothing changed.
    assert_eq!(
        clients::show_client(state, &admin, "portal").await.unwrap(),
        created.client
    );

    let levels = state.web.oauth.config().acr_levels.clone();
    let mut good = changes(&created.client);
    good.minimum_acr = levels.last().cloned();
    good.default_acr_values = vec![levels[0].clone()];
    good.require_par = true;
    good.name = Some("Portal".to_owned());
    good.brand = Some("nordlicht".to_owned());
    let edited = clients::update_client(state, &admin, context(), "portal", good)
        .await
        .unwrap();
    assert_eq!(edited.client.minimum_acr, levels.last().cloned());
    assert!(edited.client.require_par);
    assert_eq!(edited.client.brand.as_deref(), Some("nordlicht"));
    assert_eq!(edited.client_secret, None, "the secret stays");
    let events = harness.events(AuditKind::ClientUpdated).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].detail.as_deref(),
        Some("changed=name,default_acr_values,minimum_acr,require_par,brand")
    );

    let missing =
        clients::update_client(state, &admin, context(), "nobody", changes(&created.client)).await;
    assert!(matches!(missing, Err(AdminError::NotFound(_))));
}

#[tokio::test]
async fn r_op_1_a_new_secret_takes_effect_at_once_through_the_client_cache() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    let mut new = new_portal();
    new.grant_types = vec!["client_credentials".to_owned()];
    new.redirect_uris.clear();
    let created = clients::create_client(state, &admin, context(), new)
        .await
        .unwrap();
    let old = created.client_secret.unwrap();
    // The token endpoint reads the client once: it is cached now.
    harness.token("portal", &old).await;

    let renewed = clients::new_client_secret(state, &admin, context(), "portal")
        .await
        .unwrap();
    let new_secret = renewed.client_secret.unwrap();
    assert_ne!(new_secret, old);
    let (status, _) = harness.token_response("portal", &old).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old secret is refused at once"
    );
    harness.token("portal", &new_secret).await;
    assert_eq!(
        harness.events(AuditKind::ClientSecretRotated).await.len(),
        1
    );
}

#[tokio::test]
async fn r_op_1_switching_to_a_public_client_drops_the_secret_and_requires_pkce() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    let created = clients::create_client(state, &admin, context(), new_portal())
        .await
        .unwrap();
    let mut public = changes(&created.client);
    public.auth_method = "none".to_owned();
    let edited = clients::update_client(state, &admin, context(), "portal", public)
        .await
        .unwrap();
    assert!(!edited.client.has_secret);
    assert!(edited.client.require_pkce);
    let refused = clients::new_client_secret(state, &admin, context(), "portal").await;
    assert!(matches!(refused, Err(AdminError::Invalid(_))));

    let mut back = changes(&edited.client);
    back.auth_method = "client_secret_post".to_owned();
    let secret_again = clients::update_client(state, &admin, context(), "portal", back)
        .await
        .unwrap();
    assert!(
        secret_again.client_secret.is_some(),
        "a new secret, shown once"
    );
}

#[tokio::test]
async fn r_op_1_rotating_keys_activates_new_keys_and_keeps_the_old_published() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    let before = keys::list_keys(state, &admin).await.unwrap();
    assert!(before.iter().all(|key| key.state == "active"));
    let kids = keys::rotate_keys(state, &admin, context()).await.unwrap();
    assert_eq!(kids.len(), before.len());

    let after = keys::list_keys(state, &admin).await.unwrap();
    for key in &after {
        let new = kids.contains(&key.kid);
        assert_eq!(key.state, if new { "active" } else { "retired" }, "{key:?}");
        assert_eq!(key.published_until.is_some(), !new);
    }
    let jwks = String::from_utf8(state.web.oauth.jwks().to_vec()).unwrap();
    for key in before.iter().chain(after.iter()) {
        assert!(jwks.contains(&key.kid), "{} published", key.kid);
    }
    let events = harness.events(AuditKind::SigningKeysRotated).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].detail.as_deref(),
        Some(format!("kids={}", kids.join(",")).as_str())
    );
}

#[tokio::test]
async fn r_op_1_policy_is_shown_and_an_upload_is_only_validated() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    let active = policies::view_policy(state, &admin).unwrap();
    assert_eq!(active.toml.as_deref(), Some(POLICY_TEXT));
    assert!(!active.summary.levels.is_empty());
    assert!(active.summary.lockout_max_failures > 0);

    let broken = "[lockout]\nmax_failures = 0\n\n[password]\nmin_length = 0\n";
    let check = policies::validate_policy(&admin, broken).unwrap();
    assert!(!check.valid);
    assert!(check.problems.len() >= 2, "{:?}", check.problems);
    assert!(
        check
            .problems
            .iter()
            .any(|p| p.starts_with("lockout.max_failures"))
    );
    assert!(
        check
            .problems
            .iter()
            .any(|p| p.starts_with("password.min_length"))
    );

    let syntax = policies::validate_policy(&admin, "[lockout\n").unwrap();
    assert!(!syntax.valid);
    assert_eq!(syntax.problems.len(), 1);

    let valid = policies::validate_policy(&admin, "[lockout]\nmax_failures = 3\n").unwrap();
    assert!(valid.valid, "{:?}", valid.problems);
    assert_eq!(valid.summary.unwrap().lockout_max_failures, 3);
    // Nothing was activated.
    assert_eq!(policies::view_policy(state, &admin).unwrap(), active);
}
