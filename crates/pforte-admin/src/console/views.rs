//! The console pages of clients, signing keys and policies (R-OP-1): what
//! each template is given, built from the use cases' results and the
//! operator's permissions. Buttons and forms are shown only when a role
//! allows them; the use cases check again on every submission.
//!
//! Templates: `themes/base/templates/admin/{clients,client_form,
//! client_secret,keys,policies}.html`, their sample contexts in
//! `themes/base/fixtures/admin/`.

use pforte_identity::operator_roles::Permission;

use crate::operator::Operator;
use crate::state::AdminState;
use crate::usecases::clients::{ClientChanges, ClientView, NewClient};
use crate::usecases::keys::KeyView;
use crate::usecases::policies::{ActivePolicy, PolicyCheck};

/// Where the console pages of this module live, below `/admin`.
pub const CLIENTS_PATH: &str = "/admin/clients";
pub const KEYS_PATH: &str = "/admin/keys";
pub const POLICIES_PATH: &str = "/admin/policies";

pub fn clients_context(
    operator: &Operator,
    clients: &[ClientView],
    notice: Option<String>,
) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("can_manage", &operator.may(Permission::ManageClients));
    context.insert("clients", clients);
    context.insert("notice", &notice);
    context.insert("new_path", &format!("{CLIENTS_PATH}/new"));
    context.insert("client_path", CLIENTS_PATH);
    context
}

/// The create (`client` is `None`) or edit form, with the problems of a
/// refused submission and the values entered.
pub fn client_form_context(
    state: &AdminState,
    operator: &Operator,
    csrf_token: &str,
    client: &serde_json::Value,
    is_new: bool,
    problems: &[String],
) -> tera::Context {
    let client_id = client
        .get("client_id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    let mut context = tera::Context::new();
    context.insert("is_new", &is_new);
    context.insert("can_manage", &operator.may(Permission::ManageClients));
    context.insert("csrf_token", csrf_token);
    context.insert(
        "action",
        &if is_new {
            format!("{CLIENTS_PATH}/new")
        } else {
            format!("{CLIENTS_PATH}/{client_id}")
        },
    );
    context.insert(
        "secret_action",
        &format!("{CLIENTS_PATH}/{client_id}/secret"),
    );
    context.insert("back_path", CLIENTS_PATH);
    context.insert("problems", problems);
    context.insert("acr_levels", &state.web.oauth.config().acr_levels);
    context.insert("brands", &*state.brands);
    context.insert("client", client);
    context
}

pub fn secret_context(client_id: &str, secret: &str) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("client_id", client_id);
    context.insert("secret", secret);
    context.insert("back_path", &format!("{CLIENTS_PATH}/{client_id}"));
    context
}

pub fn keys_context(
    operator: &Operator,
    csrf_token: &str,
    keys: &[KeyView],
    rotated: &[String],
) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("can_rotate", &operator.may(Permission::RotateKeys));
    context.insert("csrf_token", csrf_token);
    context.insert("rotate_action", &format!("{KEYS_PATH}/rotate"));
    context.insert("keys", keys);
    context.insert("rotated", rotated);
    context
}

pub fn policies_context(
    operator: &Operator,
    csrf_token: &str,
    policy: &ActivePolicy,
    check: Option<&PolicyCheck>,
    uploaded: Option<&str>,
) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("can_validate", &operator.may(Permission::ValidatePolicy));
    context.insert("csrf_token", csrf_token);
    context.insert("validate_action", &format!("{POLICIES_PATH}/validate"));
    context.insert("policy", policy);
    context.insert("check", &check);
    context.insert("uploaded", &uploaded);
    context
}

/// The fields of the client form as submitted (URL-encoded).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct ClientForm {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub application_type: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub redirect_uris: String,
    #[serde(default)]
    pub post_logout_redirect_uris: String,
    #[serde(default)]
    pub auth_method: String,
    #[serde(default)]
    pub minimum_acr: String,
    #[serde(default)]
    pub default_acr: String,
    #[serde(default)]
    pub brand: String,
    #[serde(default)]
    pub require_par: Option<String>,
}

/// One URI per line of a text area.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl ClientForm {
    pub fn new_client(&self) -> NewClient {
        NewClient {
            client_id: self.client_id.trim().to_owned(),
            name: optional(&self.name),
            application_type: optional(&self.application_type),
            auth_method: optional(&self.auth_method),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            grant_types: Vec::new(),
            scopes: Vec::new(),
            default_acr_values: optional(&self.default_acr).into_iter().collect(),
            minimum_acr: optional(&self.minimum_acr),
            require_par: self.require_par.is_some(),
            brand: optional(&self.brand),
        }
    }

    pub fn changes(&self) -> ClientChanges {
        ClientChanges {
            name: optional(&self.name),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            auth_method: self.auth_method.trim().to_owned(),
            default_acr_values: optional(&self.default_acr).into_iter().collect(),
            minimum_acr: optional(&self.minimum_acr),
            require_par: self.require_par.is_some(),
            brand: optional(&self.brand),
        }
    }

    /// The values entered, in the shape the form template reads, so that a
    /// refused submission keeps them.
    pub fn as_entered(&self) -> serde_json::Value {
        serde_json::json!({
            "client_id": self.client_id.trim(),
            "application_type": self.application_type,
            "name": optional(&self.name),
            "redirect_uris": lines(&self.redirect_uris),
            "post_logout_redirect_uris": lines(&self.post_logout_redirect_uris),
            "auth_method": self.auth_method,
            "minimum_acr": optional(&self.minimum_acr),
            "default_acr_values": optional(&self.default_acr).into_iter().collect::<Vec<_>>(),
            "brand": optional(&self.brand),
            "require_par": self.require_par.is_some(),
            "has_secret": false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_op_1_the_form_turns_text_areas_into_uri_lists() {
        let form = ClientForm {
            client_id: " portal ".to_owned(),
            redirect_uris: "https://a.example/cb\r\n\r\n https://b.example/cb ".to_owned(),
            auth_method: "client_secret_post".to_owned(),
            minimum_acr: String::new(),
            default_acr: "loa-high".to_owned(),
            require_par: Some("on".to_owned()),
            ..ClientForm::default()
        };
        let new = form.new_client();
        assert_eq!(new.client_id, "portal");
        assert_eq!(
            new.redirect_uris,
            vec!["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(new.minimum_acr, None);
        assert_eq!(new.default_acr_values, vec!["loa-high"]);
        assert!(new.require_par);
        assert_eq!(form.changes().auth_method, "client_secret_post");
    }
}
