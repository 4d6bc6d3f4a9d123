//! `/demo/callback`: the redirect URI of the demo client. It shows what the
//! authorization response carried and a ready `curl` command that redeems the
//! code at the token endpoint (RFC 6749 4.1.3). The demo client's secret and the
//! PKCE `code_verifier` of the demo URL (RFC 7636 4.5) are only printed at
//! start-up, so the command holds placeholders for them.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use crate::form;
use crate::respond;
use crate::state::AppState;

/// The demo client's id (provisioned by pforte-server's demo module).
pub const DEMO_CLIENT_ID: &str = "demo-portal";

/// The parameters the demo shows, in this order.
const SHOWN: [&str; 5] = ["code", "state", "iss", "error", "error_description"];

#[derive(Serialize)]
struct Shown {
    name: &'static str,
    value: String,
}

/// Quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn curl_command(issuer: &str, code: &str) -> String {
    let redirect_uri = format!("{issuer}/demo/callback");
    format!(
        "curl -s -u '{DEMO_CLIENT_ID}:DEMO_CLIENT_SECRET' \\\n  -d grant_type=authorization_code \\\n  --data-urlencode code={} \\\n  --data-urlencode redirect_uri={} \\\n  -d code_verifier=DEMO_CODE_VERIFIER \\\n  {}",
        shell_quote(code),
        shell_quote(&redirect_uri),
        shell_quote(&format!("{issuer}/token"))
    )
}

async fn show(state: &AppState, headers: &HeaderMap, pairs: &pforte_oauth::Params) -> Response {
    let locale = &respond::look(state, headers, &[], None);
    let received: Vec<Shown> = SHOWN
        .iter()
        .filter_map(|name| {
            pairs.get(name).ok().flatten().map(|value| Shown {
                name,
                value: value.to_owned(),
            })
        })
        .collect();
    let curl = pairs
        .get("code")
        .ok()
        .flatten()
        .map(|code| curl_command(&state.settings.issuer, code));
    let mut context = tera::Context::new();
    context.insert("received", &received);
    context.insert("curl", &curl);
    respond::page(
        state,
        StatusCode::OK,
        "demo_callback.html",
        locale,
        &context,
        None,
    )
}

pub async fn callback_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = form::query_params(query.as_deref()).unwrap_or_default();
    show(&state, &headers, &params).await
}

/// form_post responses arrive as a POST (OAuth 2.0 Form Post Response Mode).
pub async fn callback_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = form::body_params(&headers, &body).unwrap_or_default();
    show(&state, &headers, &params).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_4_1_3_curl_command_redeems_the_code_with_a_secret_placeholder() {
        let command = curl_command("http://127.0.0.1:8080", "abc'def");
        assert!(command.contains("-u 'demo-portal:DEMO_CLIENT_SECRET'"));
        assert!(command.contains("grant_type=authorization_code"));
        assert!(command.contains("code_verifier=DEMO_CODE_VERIFIER"));
        assert!(command.contains(r"code='abc'\''def'"));
        assert!(command.contains("redirect_uri='http://127.0.0.1:8080/demo/callback'"));
        assert!(command.ends_with("'http://127.0.0.1:8080/token'"));
    }
}
