//! `pforte user add --member KVNR --letter` and `pforte letters export`
//! (R-RG-4, R-PW-3): letters queued by the operator command and by the
//! notifier are printed into one PDF, one page per letter, with a manifest;
//! a second export finds nothing new.

use super::{Provider, failed, stderr, stdout, succeeded};
use pforte_identity::factor::{Channel, OutboundMessage};
use pforte_identity::ports::{
    AccountStore, CredentialStore, MemberLinkStore, Notifier, OutboxQuery, OutboxStore,
};
use pforte_identity::registration::{Proofing, Stage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const MEMBERS: &str = "kvnr;given_name;family_name;birth_date;postal_code;street;city;email;membership_start\n\
A123456780;Jürgen;Groß;02.04.1980;80331;Hauptstraße 5;München;jg@example.org;2001-01-01\n\
B987654320;Lena;Mustermann;2001-06-30;10115;;;;2015-06-30\n";

const CODE: &str = "SI37-FF96-2013-0808-0903-3876";

fn activation_letter() -> OutboundMessage {
    OutboundMessage {
        id: uuid::Uuid::now_v7(),
        channel: Channel::Letter,
        to: "Erika Mustermann\nAm Ölberg 7 (Hinterhaus)\n10115 Berlin".to_owned(),
        template: "activation_letter".to_owned(),
        language: "de".to_owned(),
        params: BTreeMap::from([
            ("code".to_owned(), CODE.to_owned()),
            ("valid_until".to_owned(), "2027-03-01".to_owned()),
            ("given_name".to_owned(), "Erika".to_owned()),
            ("family_name".to_owned(), "Mustermann".to_owned()),
        ]),
        account_id: None,
        created_at: chrono::Utc::now(),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle.as_bytes())
        .count()
}

#[test]
fn r_rg_4_r_pw_3_queued_letters_are_exported_once_as_one_pdf_with_a_manifest() {
    let provider = Provider::new();
    let members = provider.dir.path().join("members.csv");
    std::fs::write(&members, MEMBERS).unwrap();
    succeeded(&provider.run(&["members", "import", members.to_str().unwrap()]));

    // R-PW-3: the operator creates the account; the password goes only into
    // the letter.
    let added = provider.run(&[
        "user",
        "add",
        "--username",
        "juergen.gross",
        "--member",
        "A123456780",
        "--letter",
    ]);
    let said = stdout(succeeded(&added));
    assert!(said.contains("user juergen.gross added"), "{said}");
    assert!(said.contains("initial-password letter"), "{said}");
    // A member without a postal address gets no letter and no account.
    let refused = failed(&provider.run(&[
        "user",
        "add",
        "--username",
        "lena",
        "--member",
        "B987654320",
        "--letter",
    ]));
    assert!(refused.contains("no street and town"), "{refused}");
    // --letter and --password exclude each other.
    failed(&provider.run(&[
        "user",
        "add",
        "--username",
        "x",
        "--member",
        "A123456780",
        "--letter",
        "--password",
        "Secret-Password-1",
    ]));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let password = runtime.block_on(async {
        let app = provider.app().await;
        // R-RG-4: an activation letter sent through the configured channels.
        app.channels()
            .unwrap()
            .send(&activation_letter())
            .await
            .unwrap();
        // The development setting copies letters to the outbox, where the
        // generated password can be read.
        let letters = app
            .store
            .outbox(&OutboxQuery {
                channel: Some(Channel::Letter),
                ..OutboxQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(letters.len(), 2);
        let initial = letters
            .iter()
            .find(|letter| letter.template == "initial_password_letter")
            .unwrap();
        assert_eq!(initial.to, "Jürgen Groß\nHauptstraße 5\n80331 München");
        assert_eq!(initial.params["username"], "juergen.gross");
        // R-PW-3: linked to the member by the operator, active, and the
        // password must be changed at the first login.
        let account = app
            .store
            .find_by_username("juergen.gross")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(initial.account_id, Some(account.id));
        assert_eq!(account.given_name.as_deref(), Some("Jürgen"));
        assert!(
            app.store
                .password_state(account.id)
                .await
                .unwrap()
                .must_change
        );
        let link = app
            .store
            .link_of_account(account.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(link.stage, Stage::Active);
        assert_eq!(link.proofing, Proofing::Operator);
        // The queue holds the letter sealed; opened, it is the same letter.
        let queued = app.letter_queue().of_account(account.id).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].params["password"], initial.params["password"]);
        assert_eq!(queued[0].exported_at, None);
        initial.params["password"].clone()
    });
    assert!(password.chars().count() >= 12);
    // The outbox lists a letter on one line, its address quoted.
    let listed = stdout(succeeded(&provider.run(&[
        "outbox",
        "list",
        "--channel",
        "letter",
    ])));
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.contains(
            "letter \"Jürgen Groß\\nHauptstraße 5\\n80331 München\" initial_password_letter de"
        ),
        "{listed}"
    );
    assert!(!said.contains(&password) && !stderr(&added).contains(&password));

    let pending = stdout(succeeded(&provider.run(&["letters", "pending"])));
    let pending: Vec<&str> = pending.lines().collect();
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(pending[0].contains("\tinitial_password_letter\tde\t"));
    assert!(pending[1].contains("\tactivation_letter\tde\t-\t"));
    assert!(!pending.concat().contains(CODE) && !pending.concat().contains(&password));

    let out = provider.dir.path().join("print");
    let exported = stdout(succeeded(&provider.run(&[
        "letters",
        "export",
        "--out",
        out.to_str().unwrap(),
    ])));
    assert!(
        exported.contains("exported 2 letter(s) in batch"),
        "{exported}"
    );
    let written = files(&out);
    assert_eq!(written.len(), 2, "{written:?}");
    let pdf_path = written
        .iter()
        .find(|p| p.extension().unwrap() == "pdf")
        .unwrap();
    let csv_path = written
        .iter()
        .find(|p| p.extension().unwrap() == "csv")
        .unwrap();
    assert!(exported.contains(&pdf_path.display().to_string()));

    let pdf = std::fs::read(pdf_path).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4"));
    assert_eq!(count(&pdf, "/Type /Page /"), 2, "one page per letter");
    assert_eq!(count(&pdf, &format!("({CODE}) Tj")), 1);
    assert_eq!(count(&pdf, &format!("({password}) Tj")), 1);
    assert_eq!(
        count(&pdf, "(J\\374rgen Gro\\337) Tj"),
        1,
        "umlauts in WinAnsi"
    );
    if let Ok(text) = std::process::Command::new("pdftotext")
        .arg(pdf_path)
        .arg("-")
        .output()
    {
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains(CODE), "{text}");
        assert!(text.contains("Hauptstraße 5"), "{text}");
        assert!(text.contains("Am Ölberg 7 (Hinterhaus)"), "{text}");
        assert!(text.contains("Ihre Zugangsdaten"), "{text}");
    } else {
        eprintln!("pdftotext not found (Debian: poppler-utils); PDF text not extracted");
    }

    let manifest = std::fs::read_to_string(csv_path).unwrap();
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(
        lines[0],
        "letter_id,page,template,recipient_name,postal_code,created_at"
    );
    assert_eq!(lines.len(), 3, "{manifest}");
    assert!(lines[1].contains(",1,initial_password_letter,Jürgen Groß,80331,"));
    assert!(lines[2].contains(",2,activation_letter,Erika Mustermann,10115,"));
    assert!(!manifest.contains(&password) && !manifest.contains(CODE));

    // Nothing new: no files, and the operator is told so.
    let again = stdout(succeeded(&provider.run(&[
        "letters",
        "export",
        "--out",
        out.to_str().unwrap(),
    ])));
    assert_eq!(again, "no pending letters; nothing exported\n");
    assert_eq!(
        stdout(succeeded(&provider.run(&["letters", "pending"]))),
        ""
    );
    assert_eq!(files(&out).len(), 2);

    let audit = stdout(succeeded(&provider.run(&["audit", "list"])));
    assert_eq!(audit.matches("letters_exported").count(), 1, "{audit}");
}

#[test]
fn r_op_4_with_notify_letter_queue_letters_stay_out_of_the_outbox() {
    let provider = Provider::with_settings("demo = false\n[notify]\nletter = \"queue\"\n");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let app = provider.app().await;
        app.channels()
            .unwrap()
            .send(&activation_letter())
            .await
            .unwrap();
        let outbox = app.store.outbox(&OutboxQuery::default()).await.unwrap();
        assert!(outbox.is_empty(), "{outbox:?}");
    });
    let pending = stdout(succeeded(&provider.run(&["letters", "pending"])));
    assert_eq!(pending.lines().count(), 1, "{pending}");
    assert!(pending.contains("\tactivation_letter\tde\t-\t"));

    let refused = Provider::with_settings("demo = false\n[notify]\nletter = \"print\"\n");
    let message = failed(&refused.run(&["config", "check"]));
    assert!(message.contains("notify.letter"), "{message}");
}
