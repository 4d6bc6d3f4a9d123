//! The SMTP adapter against a minimal SMTP server written here: it answers
//! just enough of RFC 5321 (greeting, EHLO, MAIL, RCPT, DATA, QUIT) and hands
//! the envelope and the data of each mail to the test.

use crate::message;
use pforte_identity::factor::Channel;
use pforte_identity::ports::{Notifier, NotifyError};
use pforte_notify::{SmtpNotifier, SmtpSettings, SmtpTls};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One mail as the server received it.
#[derive(Debug)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

/// Serves SMTP on a port of its own; every mail goes to the channel. With
/// `reject_rcpt` every recipient is refused with 550.
async fn start_server(reject_rcpt: bool) -> (u16, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake.test ESMTP\r\n").await.unwrap();
                let mut mail_from = String::new();
                let mut rcpt_to = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 fake.test\r\n",
                        "MAIL" => {
                            mail_from = line.clone();
                            rcpt_to.clear();
                            b"250 OK\r\n"
                        }
                        "RCPT" if reject_rcpt => b"550 no such user\r\n",
                        "RCPT" => {
                            rcpt_to.push(line.clone());
                            b"250 OK\r\n"
                        }
                        "DATA" => {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push_str(&line);
                                data.push('\n');
                            }
                            let _ = sender.send(Received {
                                mail_from: mail_from.clone(),
                                rcpt_to: rcpt_to.clone(),
                                data,
                            });
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, receiver)
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Pforte <no-reply@login.example>".into(),
        timeout_secs: 5,
    }
}

#[tokio::test]
async fn r_mf_3_login_code_mail_reaches_the_relay_with_headers_and_code() {
    let (port, mut received) = start_server(false).await;
    let notifier = SmtpNotifier::new(&settings(port)).unwrap();
    let sent = message(Channel::Email, "erika@example.org", "login_code", "de");
    notifier.send(&sent).await.unwrap();

    let mail = received.recv().await.unwrap();
    assert_eq!(mail.mail_from, "MAIL FROM:<no-reply@login.example>");
    assert_eq!(mail.rcpt_to, ["RCPT TO:<erika@example.org>"]);
    let data = mail.data;
    assert!(data.contains("428817"), "{data}");
    assert!(
        data.contains("From: Pforte <no-reply@login.example>"),
        "{data}"
    );
    assert!(data.contains("To: erika@example.org"), "{data}");
    assert!(data.contains("Subject: Ihr Anmeldecode"), "{data}");
    assert!(
        data.contains("Date: Tue, 01 Dec 2026 09:30:00 +0000"),
        "{data}"
    );
    assert!(
        data.contains(&format!("Message-ID: <{}@login.example>", sent.id)),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/plain; charset=utf-8"),
        "{data}"
    );
}

#[tokio::test]
async fn refused_recipient_is_a_failure() {
    let (port, _received) = start_server(true).await;
    let notifier = SmtpNotifier::new(&settings(port)).unwrap();
    let result = notifier
        .send(&message(
            Channel::Email,
            "nobody@example.org",
            "login_code",
            "en",
        ))
        .await;
    assert!(
        matches!(&result, Err(NotifyError::Failed(reason)) if reason.contains("550") || reason.contains("no such user")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_recipient_that_is_no_address_is_a_failure() {
    let (port, _received) = start_server(false).await;
    let notifier = SmtpNotifier::new(&settings(port)).unwrap();
    let result = notifier
        .send(&message(
            Channel::Email,
            "not an address",
            "login_code",
            "de",
        ))
        .await;
    assert!(matches!(result, Err(NotifyError::Failed(_))));
}

#[test]
fn building_outside_a_runtime_is_an_error_not_a_panic() {
    assert!(SmtpNotifier::new(&settings(25)).is_err());
}

#[tokio::test]
async fn settings_are_checked_and_the_password_is_never_printed() {
    let mut bad = settings(25);
    bad.from = "no address".into();
    assert!(SmtpNotifier::new(&bad).is_err());
    let mut secret = settings(25);
    secret.username = Some("pforte".into());
    secret.password = Some("hunter2hunter2".into());
    assert!(!format!("{secret:?}").contains("hunter2"));
    let parsed: Result<SmtpSettings, _> = serde_json::from_value(serde_json::json!({
        "host": "mail.example", "from": "a@b.example", "colour": "blue"
    }));
    assert!(parsed.is_err(), "unknown fields are refused");
    let parsed: SmtpSettings = serde_json::from_value(serde_json::json!({
        "host": "mail.example", "from": "a@b.example", "tls": "tls"
    }))
    .unwrap();
    assert_eq!(parsed.effective_port(), 465);
    SmtpNotifier::new(&parsed).expect("TLS parameters are set up at build time");
    let starttls: SmtpSettings = serde_json::from_value(serde_json::json!({
        "host": "mail.example", "from": "a@b.example"
    }))
    .unwrap();
    assert_eq!(starttls.tls, SmtpTls::Starttls, "STARTTLS is the default");
    assert_eq!(starttls.effective_port(), 587);
    SmtpNotifier::new(&starttls).unwrap();
}
