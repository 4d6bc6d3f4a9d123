#![allow(clippy::unwrap_used)]

use super::*;
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What the fake insurer system saw.
#[derive(Default)]
struct Seen {
    authorization: Option<String>,
    body: Option<Value>,
}

/// Starts an insurer system on port 0 that answers every lookup with
/// `status` and `body` after `delay`; returns its URL.
async fn insurer(
    status: StatusCode,
    body: Value,
    delay: Duration,
    seen: Arc<Mutex<Seen>>,
) -> String {
    let app = axum::Router::new().route(
        "/lookup",
        post(move |headers: HeaderMap, Json(request): Json<Value>| {
            let seen = seen.clone();
            let body = body.clone();
            async move {
                {
                    let mut seen = seen.lock().unwrap();
                    seen.authorization = headers
                        .get("authorization")
                        .map(|value| value.to_str().unwrap().to_owned());
                    seen.body = Some(request);
                }
                tokio::time::sleep(delay).await;
                (status, Json(body))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/lookup")
}

fn lookup(url: &str, timeout_ms: u64) -> HttpMemberLookup {
    HttpMemberLookup::from_settings(&MembersSettings {
        lookup_url: Some(url.to_owned()),
        lookup_authorization: Some("Bearer s3cret".to_owned()),
        lookup_timeout_ms: timeout_ms,
    })
    .unwrap()
    .unwrap()
}

fn kvnr() -> Kvnr {
    Kvnr::parse("A123456780").unwrap()
}

#[tokio::test]
async fn r_rg_1_lookup_sends_the_kvnr_with_the_configured_header_and_reads_the_member() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let url = insurer(
        StatusCode::OK,
        json!({"member": {
            "kvnr": "A123456780",
            "given_name": "Erika",
            "family_name": "Mustermann",
            "birth_date": "1980-04-02",
            "postal_code": "10115",
            "city": "Berlin",
            "membership_start": "2001-01-01"
        }}),
        Duration::ZERO,
        seen.clone(),
    )
    .await;
    let record = lookup(&url, 2000).lookup(&kvnr()).await.unwrap().unwrap();
    assert_eq!(record.given_name, "Erika");
    assert_eq!(record.city.as_deref(), Some("Berlin"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.authorization.as_deref(), Some("Bearer s3cret"));
    assert_eq!(seen.body, Some(json!({"kvnr": "A123456780"})));
}

#[tokio::test]
async fn r_rg_1_not_found_and_null_member_mean_not_a_member() {
    for (status, body) in [
        (StatusCode::NOT_FOUND, json!({})),
        (StatusCode::OK, json!({"member": null})),
    ] {
        let url = insurer(status, body, Duration::ZERO, Arc::default()).await;
        assert_eq!(lookup(&url, 2000).lookup(&kvnr()).await, Ok(None));
    }
}

#[tokio::test]
async fn r_rg_1_errors_unusable_answers_and_timeouts_are_unavailable() {
    for (status, body, delay) in [
        (StatusCode::INTERNAL_SERVER_ERROR, json!({}), Duration::ZERO),
        (StatusCode::UNAUTHORIZED, json!({}), Duration::ZERO),
        (StatusCode::OK, json!({"members": []}), Duration::ZERO),
        (
            StatusCode::OK,
            json!({"member": {"kvnr": "A123456780"}}),
            Duration::ZERO,
        ),
        (
            StatusCode::OK,
            json!({"member": null}),
            Duration::from_secs(3),
        ),
    ] {
        let url = insurer(status, body.clone(), delay, Arc::default()).await;
        let answer = lookup(&url, 200).lookup(&kvnr()).await;
        assert!(answer.is_err(), "{status} {body}: {answer:?}");
    }
    // Nothing listens on this port any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/lookup", listener.local_addr().unwrap());
    drop(listener);
    assert!(lookup(&url, 500).lookup(&kvnr()).await.is_err());
}

#[test]
fn r_rg_1_no_lookup_url_means_no_lookup() {
    assert!(
        HttpMemberLookup::from_settings(&MembersSettings::default())
            .unwrap()
            .is_none()
    );
}
