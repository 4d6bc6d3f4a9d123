#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::usecases::{clients, keys, policies};
use chrono::DateTime;
use std::collections::BTreeSet;

fn document() -> serde_json::Value {
    serde_json::to_value(schema::document("https://id.example/token")).unwrap()
}

#[test]
fn r_op_1_every_route_is_in_the_openapi_document_and_nothing_else() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(documented, routed);
}

#[test]
fn r_op_1_the_document_parses_and_names_the_client_credentials_scopes() {
    let text = schema::document("https://id.example/token")
        .to_pretty_json()
        .unwrap();
    let parsed: utoipa::openapi::OpenApi = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.paths.paths.len(), 16);
    let document = document();
    let flow = &document["components"]["securitySchemes"][schema::SECURITY_SCHEME]["flows"]["clientCredentials"];
    assert_eq!(flow["tokenUrl"], "https://id.example/token");
    for scope in [
        "pforte:admin:support",
        "pforte:admin:security_admin",
        "pforte:admin:auditor",
    ] {
        assert!(flow["scopes"][scope].is_string(), "{scope}");
    }
}

/// The property names of a component schema.
fn properties(name: &str) -> BTreeSet<String> {
    document()["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name}"))
        .keys()
        .cloned()
        .collect()
}

fn keys_of(value: impl serde::Serialize) -> BTreeSet<String> {
    serde_json::to_value(value)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn r_op_1_documented_schemas_have_the_fields_the_answers_have() {
    let at = DateTime::from_timestamp(0, 0).unwrap();
    let client = clients::ClientView {
        client_id: "c".into(),
        name: None,
        auth_method: "none".into(),
        application_type: "web".into(),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        grant_types: vec![],
        scopes: vec![],
        require_pkce: true,
        require_par: false,
        default_acr_values: vec![],
        minimum_acr: None,
        brand: None,
        has_secret: false,
        created_at: at,
    };
    assert_eq!(keys_of(&client), properties("Client"));
    let with_secret = clients::WithSecret {
        client,
        client_secret: None,
    };
    assert_eq!(keys_of(&with_secret), properties("ClientWithSecret"));
    let key = keys::KeyView {
        kid: "k".into(),
        alg: "ES256".into(),
        state: "active",
        created_at: at,
        retired_at: None,
        published_until: None,
    };
    assert_eq!(keys_of(&key), properties("SigningKey"));
    let summary = policies::summary(&pforte_policy::ResolvedPolicy::default());
    assert_eq!(keys_of(&summary), properties("PolicySummary"));
    assert_eq!(keys_of(&summary.levels[0]), properties("PolicyLevel"));
    let check = policies::PolicyCheck {
        valid: true,
        problems: vec![],
        summary: None,
    };
    assert_eq!(keys_of(&check), properties("PolicyCheck"));
    let active = policies::ActivePolicy {
        toml: None,
        summary,
    };
    assert_eq!(keys_of(&active), properties("ActivePolicy"));
}

#[test]
fn r_op_1_operations_name_the_scheme_and_the_role_scopes() {
    let document = document();
    for (method, path) in ROUTES {
        let operation = &document["paths"][*path][*method];
        let security = operation["security"].as_array().unwrap();
        for requirement in security {
            let scopes = requirement[schema::SECURITY_SCHEME].as_array().unwrap();
            for scope in scopes {
                let role = scope.as_str().unwrap().strip_prefix("pforte:admin:");
                assert!(
                    role.and_then(pforte_identity::operator_roles::Role::parse)
                        .is_some(),
                    "{method} {path}: {scope}"
                );
            }
        }
    }
}
