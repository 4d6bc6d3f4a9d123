//! `pforte outbox list`: the dev outbox, newest first, filtered by recipient
//! and channel, as lines or JSON lines.

use super::{Provider, failed, stdout, succeeded};
use chrono::{TimeZone, Utc};
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::ports::OutboxStore;
use std::collections::BTreeMap;

fn message(channel: Channel, to: &str, template: &str, minute: u32) -> OutboundMessage {
    OutboundMessage {
        id: uuid::Uuid::now_v7(),
        channel,
        to: to.to_owned(),
        template: template.to_owned(),
        language: "de".to_owned(),
        params: BTreeMap::from([
            ("code".to_owned(), format!("42881{minute}")),
            ("valid_minutes".to_owned(), "10".to_owned()),
            ("_body".to_owned(), "Ihr Anmeldecode …\nZeile 2".to_owned()),
        ]),
        account_id: None,
        created_at: Utc.with_ymd_and_hms(2026, 12, 1, 9, minute, 0).unwrap(),
    }
}

async fn fill_outbox(provider: &Provider) {
    let app = provider.app().await;
    for sent in [
        message(Channel::Email, "erika@example.org", "login_code", 1),
        message(Channel::Sms, "+4915112345678", "enrol_code", 2),
        message(Channel::Sms, "+4915112345678", "step_up_code", 3),
    ] {
        app.store.append_outbox(&sent).await.unwrap();
    }
}

#[test]
fn outbox_list_prints_messages_newest_first_and_filters() {
    let provider = Provider::new();
    assert_eq!(stdout(succeeded(&provider.run(&["outbox", "list"]))), "");
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(fill_outbox(&provider));

    let all = stdout(succeeded(&provider.run(&["outbox", "list"])));
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(
        lines,
        [
            "2026-12-01T09:03:00Z sms +4915112345678 step_up_code de code=428813 valid_minutes=10",
            "2026-12-01T09:02:00Z sms +4915112345678 enrol_code de code=428812 valid_minutes=10",
            "2026-12-01T09:01:00Z email erika@example.org login_code de code=428811 valid_minutes=10",
        ]
    );

    let email = stdout(succeeded(&provider.run(&[
        "outbox",
        "list",
        "--channel",
        "email",
    ])));
    assert_eq!(email.lines().count(), 1);
    assert!(email.contains("erika@example.org"));

    let latest = stdout(succeeded(&provider.run(&[
        "outbox",
        "list",
        "--to",
        "+4915112345678",
        "--limit",
        "1",
    ])));
    assert_eq!(latest.lines().collect::<Vec<_>>(), [lines[0]]);

    let json = stdout(succeeded(&provider.run(&[
        "outbox",
        "list",
        "--json",
        "--channel",
        "sms",
    ])));
    let parsed: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0]["template"], "step_up_code");
    assert_eq!(parsed[0]["channel"], "sms");
    assert_eq!(parsed[0]["params"]["code"], "428813");
    assert_eq!(parsed[0]["params"]["_body"], "Ihr Anmeldecode …\nZeile 2");
}

#[test]
fn outbox_list_rejects_an_unknown_channel_and_a_zero_limit() {
    let provider = Provider::new();
    let message = failed(&provider.run(&["outbox", "list", "--channel", "fax"]));
    assert!(message.contains("fax"), "{message}");
    let message = failed(&provider.run(&["outbox", "list", "--limit", "0"]));
    assert!(message.contains("--limit"), "{message}");
}
