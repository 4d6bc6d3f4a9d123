//! The console pages of clients, keys and policies render in German and
//! English from their fixtures, and show buttons by permission (R-OP-1,
//! R-OP-2).

use crate::support::{Harness, context, operator};
use pforte_admin::console::views;
use pforte_admin::usecases::{clients, keys, policies};
use pforte_identity::operator_roles::Role;
use std::path::PathBuf;

const PAGES: [&str; 5] = [
    "clients",
    "client_form",
    "client_secret",
    "keys",
    "policies",
];

fn themes() -> PathBuf {
    pforte_testkit::server::themes_dir()
}

fn render(
    harness: &Harness,
    template: &str,
    locale: &'static str,
    context: &tera::Context,
) -> String {
    harness
        .state
        .web
        .pages
        .render(template, &pforte_web::Look::base(locale), context)
        .unwrap_or_else(|error| panic!("{template} ({locale}): {error}"))
}

#[tokio::test]
async fn r_op_1_every_admin_page_renders_its_fixture_in_german_and_english() {
    let harness = Harness::start().await;
    for page in PAGES {
        let path = themes().join(format!("base/fixtures/admin/{page}.json"));
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let context = tera::Context::from_serialize(&fixture).unwrap();
        let german = render(&harness, &format!("admin/{page}.html"), "de", &context);
        let english = render(&harness, &format!("admin/{page}.html"), "en", &context);
        assert!(german.contains("<html lang=\"de\">"), "{page}");
        assert!(english.contains("<html lang=\"en\">"), "{page}");
        assert_ne!(german, english, "{page} is translated");
    }
}

#[test]
fn r_op_1_every_admin_text_is_in_both_catalogs() {
    let read = |locale: &str| -> serde_json::Map<String, serde_json::Value> {
        let path = themes().join(format!("base/i18n/{locale}.json"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let (german, english) = (read("de"), read("en"));
    for page in PAGES {
        let path = themes().join(format!("base/templates/admin/{page}.html"));
        let text = std::fs::read_to_string(path).unwrap();
        for (index, _) in text.match_indices("t.admin_") {
            let key: String = text[index + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            assert!(german.contains_key(&key), "{page}: {key} missing in de");
            assert!(english.contains_key(&key), "{page}: {key} missing in en");
        }
    }
}

#[tokio::test]
async fn r_op_1_buttons_are_shown_by_permission() {
    let harness = Harness::start().await;
    let state = &harness.state;
    let admin = operator("ada", &[Role::SecurityAdmin]);
    let auditor = operator("aud", &[Role::Auditor]);
    clients::create_client(
        state,
        &admin,
        context(),
        clients::NewClient {
            client_id: "portal".to_owned(),
            redirect_uris: vec!["https://portal.example/cb".to_owned()],
            ..clients::NewClient::default()
        },
    )
    .await
    .unwrap();

    for (who, may_change) in [(&admin, true), (&auditor, false)] {
        let listed = clients::list_clients(state, who).await.unwrap();
        let page = render(
            &harness,
            "admin/clients.html",
            "en",
            &views::clients_context(who, &listed, None),
        );
        assert!(page.contains("id=\"client-portal\""));
        assert_eq!(
            page.contains("id=\"client-new\""),
            may_change,
            "{}",
            who.name
        );

        let shown = clients::show_client(state, who, "portal").await.unwrap();
        let form = views::client_form_context(
            state,
            who,
            "csrf",
            &serde_json::to_value(&shown).unwrap(),
            false,
            &[],
        );
        let page = render(&harness, "admin/client_form.html", "de", &form);
        assert_eq!(page.contains("id=\"client-form\""), may_change);
        assert_eq!(page.contains("id=\"client-new-secret\""), may_change);

        let listed_keys = keys::list_keys(state, who).await.unwrap();
        let page = render(
            &harness,
            "admin/keys.html",
            "de",
            &views::keys_context(who, "csrf", &listed_keys, &[]),
        );
        assert_eq!(page.contains("id=\"keys-rotate\""), may_change);

        let policy = policies::view_policy(state, who).unwrap();
        let page = render(
            &harness,
            "admin/policies.html",
            "en",
            &views::policies_context(who, "csrf", &policy, None, None),
        );
        assert_eq!(page.contains("id=\"policy-validate\""), may_change);
    }
}
