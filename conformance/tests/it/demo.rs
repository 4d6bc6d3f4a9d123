//! The first-start demo (issue 2, "Workspace and run"): with `demo = true` a
//! fresh provider prints a demo client, a demo user and a ready-to-open
//! authorization URL; following those instructions yields tokens. A second
//! start prints no credentials again.

use crate::support::http::{Arrival, UserAgent, plain_client};
use crate::support::raw::basic;
use crate::support::server::Server;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// The value after `label:` on the first line that has it.
fn field(output: &str, label: &str) -> String {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{label}:")))
        .map(|value| value.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label} in the demo output:\n{output}"))
}

/// Waits until the server has printed the whole demo block.
fn demo_output(server: &Server) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.log_text();
        if log.contains("/token") && log.contains("code_verifier") {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "no demo credentials printed:\n{log}"
        );
        // Polling the other process' output, not waiting for time to pass.
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn demo_first_start_prints_credentials_that_complete_a_code_flow() {
    let server = Server::prepare();
    server.set_top_level("demo", "true");
    server.start();
    let output = demo_output(&server);
    let client_id = field(&output, "client_id");
    let secret = field(&output, "client_secret");
    let username = field(&output, "username");
    let password = field(&output, "password");
    let verifier = field(&output, "code_verifier");
    let redirect_uri = field(&output, "redirect_uri");
    let url = output
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(&format!("{}/authorize?", server.issuer)))
        .unwrap_or_else(|| panic!("no authorization URL printed:\n{output}"))
        .to_owned();

    let agent = UserAgent::new(&server.issuer);
    let mut page = agent.get(&url).await;
    let mut logged_in = false;
    let callback = loop {
        match agent.follow(page).await {
            Arrival::Stopped(stopped) if stopped.is_login_page() && !logged_in => {
                logged_in = true;
                let form = stopped
                    .forms()
                    .into_iter()
                    .find(|form| form.has_field("password"))
                    .unwrap();
                page = agent
                    .submit(
                        &stopped,
                        &form,
                        &[("username", &username), ("password", &password)],
                    )
                    .await;
            }
            Arrival::Stopped(stopped) => break stopped,
            other => panic!("the demo flow left the provider: {other:?}"),
        }
    };
    assert_eq!(callback.status, StatusCode::OK, "{}", callback.describe());
    assert!(
        callback.url.as_str().starts_with(&redirect_uri),
        "{}",
        callback.url
    );
    let code = callback
        .url
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, value)| value.into_owned())
        .expect("code at the demo callback");
    assert!(
        callback.body.contains(&code),
        "the callback page does not show the code"
    );

    let response = plain_client()
        .post(server.url("/token"))
        .header("authorization", basic(&client_id, &secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: serde_json::Value = response.json().await.unwrap();
    assert!(tokens["id_token"].as_str().is_some());

    // Credentials are shown once: a restart provisions and prints nothing.
    server.stop();
    let before = server.log_text();
    server.start();
    let after = server.log_text();
    let printed_again =
        after[before.len()..].contains(&secret) || after[before.len()..].contains("client_secret:");
    assert!(
        !printed_again,
        "demo credentials printed on the second start"
    );
}
