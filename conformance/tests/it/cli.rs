//! The operator CLI from outside (issue 2, "Operator CLI"): secrets given on
//! the command line are never echoed, a generated secret is printed once and
//! works, errors go to stderr with a non-zero exit, unknown configuration keys
//! are errors, and the list/remove commands see what was added.

use crate::support::fixture::{PASSWORD, WEB_REDIRECT, secret_for};
use crate::support::http::plain_client;
use crate::support::raw::basic;
use crate::support::server::Server;
use reqwest::StatusCode;

/// The longest secret-looking word of the output (URL-safe characters, at
/// least 32 of them).
fn secret_in(output: &str) -> Option<String> {
    output
        .split(|character: char| {
            !(character.is_ascii_alphanumeric() || matches!(character, '-' | '_' | '.' | '~'))
        })
        .filter(|word| word.len() >= 32)
        .max_by_key(|word| word.len())
        .map(str::to_owned)
}

#[test]
fn cli_client_add_never_echoes_a_given_secret() {
    let server = Server::prepare();
    let secret = secret_for("quiet");
    let output = server.cli_ok(&[
        "client",
        "add",
        "--id",
        "quiet",
        "--secret",
        &secret,
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    assert!(!output.stdout.contains(&secret), "secret echoed on stdout");
    assert!(!output.stderr.contains(&secret), "secret echoed on stderr");
}

#[test]
fn cli_user_add_never_echoes_the_password() {
    let server = Server::prepare();
    let output = server.cli_ok(&["user", "add", "--username", "quinn", "--password", PASSWORD]);
    assert!(!output.stdout.contains(PASSWORD) && !output.stderr.contains(PASSWORD));
    let list = server.cli_ok(&["user", "list"]);
    assert!(list.stdout.contains("quinn"), "{}", list.stdout);
    assert!(!list.stdout.contains(PASSWORD));
}

/// A confidential client added without `--secret` gets a generated,
/// high-entropy secret, printed once; it authenticates at the token endpoint.
#[tokio::test]
async fn cli_generated_client_secret_is_printed_and_works() {
    let server = Server::prepare();
    let output = server.cli_ok(&[
        "client",
        "add",
        "--id",
        "generated",
        "--redirect-uri",
        WEB_REDIRECT,
        "--grant-type",
        "client_credentials",
    ]);
    let secret = secret_in(&output.stdout)
        .unwrap_or_else(|| panic!("no generated secret in the output: {}", output.stdout));
    server.start();
    let response = plain_client()
        .post(server.url("/token"))
        .header("authorization", basic("generated", &secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );
    let listed = server.cli_ok(&["client", "list"]);
    assert!(listed.stdout.contains("generated"));
    assert!(
        !listed.stdout.contains(&secret),
        "client list shows the secret"
    );
}

#[test]
fn cli_client_list_and_remove() {
    let server = Server::prepare();
    let secret = secret_for("short-lived");
    server.cli_ok(&[
        "client",
        "add",
        "--id",
        "short-lived",
        "--secret",
        &secret,
        "--redirect-uri",
        WEB_REDIRECT,
    ]);
    assert!(
        server
            .cli_ok(&["client", "list"])
            .stdout
            .contains("short-lived")
    );
    server.cli_ok(&["client", "remove", "short-lived"]);
    assert!(
        !server
            .cli_ok(&["client", "list"])
            .stdout
            .contains("short-lived")
    );
    let again = server.cli(&["client", "remove", "short-lived"]);
    assert!(!again.success, "removing an unknown client must fail");
    assert!(!again.stderr.trim().is_empty());
}

#[test]
fn cli_errors_go_to_stderr_with_a_non_zero_exit() {
    let server = Server::prepare();
    let cases: [&[&str]; 3] = [
        &[
            "client",
            "add",
            "--id",
            "bad-method",
            "--redirect-uri",
            WEB_REDIRECT,
            "--auth-method",
            "magic",
        ],
        &[
            "client",
            "add",
            "--id",
            "bad-alg",
            "--redirect-uri",
            WEB_REDIRECT,
            "--id-token-alg",
            "HS256",
        ],
        &[
            "client",
            "add",
            "--id",
            "bad-uri",
            "--redirect-uri",
            "not a uri",
        ],
    ];
    for args in cases {
        let output = server.cli(args);
        assert!(!output.success, "`{}` succeeded", args.join(" "));
        assert!(
            !output.stderr.trim().is_empty(),
            "`{}`: no message on stderr",
            args.join(" ")
        );
    }
    let secret = secret_for("twice");
    let add = [
        "client",
        "add",
        "--id",
        "twice",
        "--secret",
        &secret,
        "--redirect-uri",
        WEB_REDIRECT,
    ];
    server.cli_ok(&add);
    let duplicate = server.cli(&add);
    assert!(!duplicate.success, "a duplicate client id was accepted");
    assert!(
        !duplicate.stderr.contains(&secret),
        "the error echoes the secret"
    );
}

#[test]
fn cli_config_check_rejects_unknown_keys() {
    let server = Server::prepare();
    assert!(
        server.cli(&["config", "check"]).success,
        "the generated configuration is valid"
    );
    server.append_config("\n[tokens]\ncode_ttl_secs = 30\nno_such_key = 1\n");
    let output = server.cli(&["config", "check"]);
    assert!(!output.success, "unknown key accepted");
    assert!(
        output.stderr.contains("no_such_key"),
        "the message names the key: {}",
        output.stderr
    );
}

#[test]
fn cli_config_check_rejects_a_code_lifetime_over_60_seconds() {
    let server = Server::prepare();
    assert!(
        server.cli(&["config", "check"]).success,
        "the generated configuration is valid"
    );
    server.append_config("\n[tokens]\ncode_ttl_secs = 600\n");
    let output = server.cli(&["config", "check"]);
    assert!(
        !output.success,
        "code_ttl_secs = 600 accepted (RFC 9700 4.2: short-lived codes)"
    );
}

#[test]
fn secret_reader_finds_the_long_word() {
    let output = "Client generated added.\nSecret (shown once): AbC-def_0123456789abcdefghijABCDEFGHIJ_xyz\n";
    assert_eq!(
        secret_in(output).as_deref(),
        Some("AbC-def_0123456789abcdefghijABCDEFGHIJ_xyz")
    );
}

/// `pforte user delete` (R-RC-4): the account is gone, the trail keeps its
/// events under a pseudonym, and a configured blocker refuses the deletion.
#[test]
fn r_rc_4_cli_user_delete_erases_the_account_and_pseudonymises_the_trail() {
    let server = Server::prepare();
    server.cli_ok(&[
        "user",
        "add",
        "--username",
        "quentin",
        "--password",
        PASSWORD,
        "--email",
        "quentin@example.test",
        "--email-verified",
    ]);
    let output = server.cli_ok(&["user", "delete", "quentin"]);
    assert!(output.stdout.contains("deleted"), "{}", output.stdout);
    let show = server.cli(&["user", "show", "quentin"]);
    assert!(!show.success, "{}", show.stdout);
    let list = server.cli_ok(&["user", "list"]);
    assert!(!list.stdout.contains("quentin"), "{}", list.stdout);
    let trail = server.cli_ok(&["audit", "list"]).stdout;
    assert!(trail.contains("account_deleted"), "{trail}");
    assert!(trail.contains("username=pseud-"), "{trail}");
    assert!(!trail.contains("username=quentin"), "{trail}");
    let outbox = server.cli_ok(&["outbox", "list", "--to", "quentin@example.test"]);
    assert!(
        outbox.stdout.contains("account_deleted_notice"),
        "{}",
        outbox.stdout
    );

    // The blocker: a main member whose co-insured child has an account of
    // its own (R-FA-1) is not deleted; an account without a member is.
    let blocked = Server::prepare();
    blocked.append_config("\n[deletion]\nblocked_while = [\"co_insured_dependants\"]\n");
    let members = blocked.scratch().join("members.csv");
    std::fs::write(
        &members,
        "kvnr;given_name;family_name;birth_date;postal_code;street;city;membership_start;main_member_kvnr\n\
         A123456780;Quentin;Quast;1975-03-01;10115;Heidestraße 17;Berlin;2001-01-01;\n\
         B987654320;Lena;Quast;2015-06-30;10115;Heidestraße 17;Berlin;2015-06-30;A123456780\n",
    )
    .unwrap();
    blocked.cli_ok(&["members", "import", members.to_str().unwrap()]);
    for (username, kvnr) in [("quentin", "A123456780"), ("lena", "B987654320")] {
        blocked.cli_ok(&[
            "user",
            "add",
            "--username",
            username,
            "--member",
            kvnr,
            "--letter",
        ]);
    }
    blocked.cli_ok(&[
        "user",
        "add",
        "--username",
        "walter",
        "--password",
        PASSWORD,
    ]);
    blocked.cli_ok(&["user", "delete", "walter"]);
    let refused = blocked.cli(&["user", "delete", "quentin"]);
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("co_insured_dependants"),
        "{}",
        refused.stderr
    );
    blocked.cli_ok(&["user", "show", "quentin"]);
}
