//! The HTTP SMS gateway against a local server that records each request:
//! URL, authorization, content type and the escaped body (R-MF-4).

use crate::message;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use pforte_identity::factor::Channel;
use pforte_identity::ports::{Notifier, NotifyError};
use pforte_notify::{HttpSmsGateway, SmsGatewayAuth, SmsGatewaySettings};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
struct Recorded {
    uri: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
}

#[derive(Clone)]
struct Gateway {
    requests: Arc<Mutex<Vec<Recorded>>>,
    answer: StatusCode,
}

async fn record(
    State(gateway): State<Gateway>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    gateway.requests.lock().unwrap().push(Recorded {
        uri: uri.to_string(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body,
    });
    gateway.answer
}

/// Starts the recording gateway; returns its base URL and the requests.
async fn start_gateway(answer: StatusCode) -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/api/sms", post(record))
        .with_state(Gateway {
            requests: requests.clone(),
            answer,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), requests)
}

fn settings(url: String, auth: SmsGatewayAuth, content_type: &str) -> SmsGatewaySettings {
    SmsGatewaySettings {
        url,
        auth,
        content_type: content_type.to_owned(),
        body: None,
        sender: "Kasse".to_owned(),
        timeout_secs: 5,
    }
}

#[tokio::test]
async fn r_mf_4_json_request_with_bearer_token_carries_the_code() {
    let (base, requests) = start_gateway(StatusCode::ACCEPTED).await;
    let gateway = HttpSmsGateway::new(&settings(
        format!("{base}/api/sms?account=42"),
        SmsGatewayAuth::Bearer {
            token: "s3cr3t".into(),
        },
        "application/json",
    ))
    .unwrap();
    gateway
        .send(&message(Channel::Sms, "+4915112345678", "login_code", "de"))
        .await
        .unwrap();

    let recorded = requests.lock().unwrap().clone();
    assert_eq!(recorded.len(), 1);
    let request = &recorded[0];
    assert_eq!(request.uri, "/api/sms?account=42");
    assert_eq!(request.authorization.as_deref(), Some("Bearer s3cr3t"));
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["to"], "+4915112345678");
    assert_eq!(body["sender"], "Kasse");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("428817"), "{text}");
    assert!(text.starts_with("Ihr Anmeldecode"), "{text}");
}

#[tokio::test]
async fn r_mf_4_form_request_with_basic_auth_and_own_body_template() {
    let (base, requests) = start_gateway(StatusCode::OK).await;
    let mut settings = settings(
        format!("{base}/api/sms"),
        SmsGatewayAuth::Basic {
            username: "pforte".into(),
            password: "pa:ss".into(),
        },
        "application/x-www-form-urlencoded",
    );
    settings.body = Some("recipient={to}&message={text}&from={sender}&type=text".into());
    let gateway = HttpSmsGateway::new(&settings).unwrap();
    gateway
        .send(&message(
            Channel::Sms,
            "+4915112345678",
            "step_up_code",
            "en",
        ))
        .await
        .unwrap();

    let request = requests.lock().unwrap()[0].clone();
    // base64("pforte:pa:ss")
    assert_eq!(
        request.authorization.as_deref(),
        Some("Basic cGZvcnRlOnBhOnNz")
    );
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(request.body.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap()
    };
    assert_eq!(field("recipient"), "+4915112345678");
    assert_eq!(field("from"), "Kasse");
    assert_eq!(field("type"), "text");
    assert!(field("message").contains("428817"));
    assert_eq!(fields.len(), 4, "no value broke out of its field");
}

#[tokio::test]
async fn r_mf_4_gateway_refusal_is_a_failure_with_its_status() {
    let (base, _) = start_gateway(StatusCode::SERVICE_UNAVAILABLE).await;
    let gateway = HttpSmsGateway::new(&settings(
        format!("{base}/api/sms"),
        SmsGatewayAuth::None,
        "application/json",
    ))
    .unwrap();
    let result = gateway
        .send(&message(Channel::Sms, "+4915112345678", "login_code", "de"))
        .await;
    assert!(
        matches!(&result, Err(NotifyError::Failed(reason)) if reason.contains("503")),
        "{result:?}"
    );
}

#[tokio::test]
async fn unreachable_gateway_is_a_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let gateway = HttpSmsGateway::new(&settings(
        format!("http://{address}/api/sms?key=topsecret"),
        SmsGatewayAuth::None,
        "application/json",
    ))
    .unwrap();
    let result = gateway
        .send(&message(Channel::Sms, "+4915112345678", "login_code", "de"))
        .await;
    let Err(NotifyError::Failed(reason)) = result else {
        panic!("expected a failure, got {result:?}");
    };
    assert!(!reason.contains("topsecret"), "{reason}");
}

#[test]
fn settings_are_checked_when_the_gateway_is_built() {
    let mut bad = settings(
        "ftp://gateway.example/".into(),
        SmsGatewayAuth::None,
        "application/json",
    );
    assert!(HttpSmsGateway::new(&bad).is_err());
    bad.url = "https://gateway.example/send".into();
    bad.body = Some("{\"text\":\"{text}\"}".into());
    assert!(HttpSmsGateway::new(&bad).is_err(), "{{to}} is missing");
}

#[test]
fn settings_reject_unknown_fields() {
    let parsed: Result<SmsGatewaySettings, _> = serde_json::from_value(serde_json::json!({
        "url": "https://gateway.example/send",
        "auth": {"type": "bearer", "token": "t"},
        "colour": "blue",
    }));
    assert!(parsed.is_err());
    let parsed: SmsGatewaySettings = serde_json::from_value(serde_json::json!({
        "url": "https://gateway.example/send",
        "auth": {"type": "basic", "username": "u", "password": "p"},
    }))
    .unwrap();
    assert_eq!(parsed.content_type, "application/json");
    assert!(
        !format!("{parsed:?}").contains("\"p\""),
        "no password in Debug"
    );
}
