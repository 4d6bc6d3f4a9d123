//! `pforte session list | end` (R-SE-3): an operator lists a user's provider
//! sessions and ends one or all, each printed and audited with the reason
//! `operator`. The sessions live in Redis (`PFORTE_TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`) under a fresh key prefix; without Redis the test
//! is skipped with a message, except under `CI=true`, where that fails.

use super::{Provider, failed, stdout, succeeded};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

fn redis_url() -> Option<String> {
    let url = std::env::var("PFORTE_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let parsed = url::Url::parse(&url).ok()?;
    let address = (parsed.host_str()?, parsed.port().unwrap_or(6379))
        .to_socket_addrs()
        .ok()?
        .next()?;
    match TcpStream::connect_timeout(&address, Duration::from_secs(2)) {
        Ok(_) => Some(url),
        Err(error) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("session CLI tests need Redis under CI: {address}: {error}")
        }
        Err(error) => {
            eprintln!(
                "skipping session CLI test: nothing answers at {address} ({error}); start redis-server"
            );
            None
        }
    }
}

#[test]
fn r_se_3_operator_lists_and_ends_sessions_of_a_user() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("pforte-cli-{}", uuid::Uuid::new_v4().simple());
    let provider = Provider::with_settings(&format!(
        "demo = false\n[session]\nstore = \"redis\"\nredis_url = {url:?}\nredis_key_prefix = {prefix:?}\n"
    ));
    succeeded(&provider.run(&[
        "user",
        "add",
        "--username",
        "erika",
        "--password",
        "first-password-1",
    ]));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (first, second) = runtime.block_on(async {
        let app = provider.app().await;
        let account = app.identity.account_status("erika").await.unwrap().account;
        let first = app
            .identity
            .start_password_session(account.id)
            .await
            .unwrap();
        let second = app
            .identity
            .start_password_session(account.id)
            .await
            .unwrap();
        (first, second)
    });

    let listed = stdout(succeeded(&provider.run(&[
        "session",
        "list",
        "--username",
        "erika",
    ])));
    assert!(
        listed.starts_with("user erika: 2 live session(s)\n"),
        "{listed}"
    );
    assert!(listed.contains(&first.handle()) && listed.contains(&second.handle()));
    assert!(
        !listed.contains(&first.sid),
        "the session id is never printed"
    );

    let one = stdout(succeeded(&provider.run(&[
        "session",
        "end",
        "--sid",
        &first.handle(),
        "--username",
        "erika",
    ])));
    assert!(
        one.starts_with(&format!("ended session {} ", first.handle())),
        "{one}"
    );
    let message = failed(&provider.run(&[
        "session",
        "end",
        "--sid",
        &first.handle(),
        "--username",
        "erika",
    ]));
    assert!(message.contains("no live session"), "{message}");

    let rest = stdout(succeeded(&provider.run(&[
        "session",
        "end",
        "--username",
        "erika",
    ])));
    assert_eq!(rest.lines().count(), 1, "{rest}");
    assert!(rest.contains(&second.handle()), "{rest}");
    let none = stdout(succeeded(&provider.run(&[
        "session",
        "end",
        "--sid",
        &second.sid,
    ])));
    assert_eq!(none, "no live session ended\n");
    let listed = stdout(succeeded(&provider.run(&[
        "session",
        "list",
        "--username",
        "erika",
    ])));
    assert_eq!(listed, "user erika: 0 live session(s)\n");

    let trail = stdout(succeeded(
        &provider.run(&["audit", "list", "--user", "erika"]),
    ));
    let ended: Vec<&str> = trail
        .lines()
        .filter(|line| line.contains(" session_ended "))
        .collect();
    assert_eq!(ended.len(), 2, "{trail}");
    assert!(
        ended
            .iter()
            .all(|line| line.contains("detail=\"reason=operator session="))
    );
}

#[test]
fn r_se_3_session_commands_refuse_in_process_sessions() {
    let provider = Provider::new();
    let message = failed(&provider.run(&["session", "list", "--username", "erika"]));
    assert!(message.contains("session.store = \"redis\""), "{message}");
    let message = failed(&provider.run(&["session", "end"]));
    assert!(
        message.contains("--sid") || message.contains("--username"),
        "{message}"
    );
}
