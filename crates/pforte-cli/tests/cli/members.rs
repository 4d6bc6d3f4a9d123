//! `pforte members import` and `pforte members show` (R-ID-4): a report of
//! rejected rows, all-or-nothing writes, idempotent repeats.

use super::{Provider, failed, stdout, succeeded};

const HEADER: &str = "kvnr;given_name;family_name;birth_date;postal_code;email;mobile;membership_start;membership_end;main_member_kvnr\n";
const ERIKA: &str =
    "A123456780;Erika;Mustermann;02.04.1980;10115;erika@example.org;0171 1234567;2001-01-01;;\n";
const LENA: &str = "B987654320;Lena;Mustermann;2015-06-30;10115;;;2015-06-30;;A123456780\n";
const BROKEN: &str = "A123456781;Max;Muster;1970-01-01;1011;;;2001-01-01;;\n";

fn write(provider: &Provider, name: &str, text: &str) -> String {
    let path = provider.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn r_id_4_members_import_reports_rejected_rows_and_writes_all_or_nothing() {
    let provider = Provider::new();
    let mixed = write(&provider, "mixed.csv", &format!("{HEADER}{ERIKA}{BROKEN}"));

    let refused = provider.run(&["members", "import", &mixed]);
    assert!(failed(&refused).contains("nothing imported"));
    let report = stdout(&refused);
    assert!(report.contains("line 3: kvnr: the check digit"), "{report}");
    assert!(report.contains("line 3: postal_code: five digits expected"));
    assert!(report.contains("checked: 1 row(s) accepted, 1 rejected; nothing written"));
    failed(&provider.run(&["members", "show", "A123456780"]));

    let dry = write(&provider, "good.csv", &format!("{HEADER}{ERIKA}{LENA}"));
    let checked = stdout(succeeded(&provider.run(&[
        "members",
        "import",
        "--dry-run",
        &dry,
    ])));
    assert!(checked.contains("checked: 2 row(s) accepted, 0 rejected"));
    failed(&provider.run(&["members", "show", "A123456780"]));

    let skipped = stdout(succeeded(&provider.run(&[
        "members",
        "import",
        "--skip-rejected",
        &mixed,
    ])));
    assert!(skipped.contains("imported: 1 new, 0 changed, 0 unchanged; 1 row(s) rejected"));

    let full = stdout(succeeded(&provider.run(&["members", "import", &dry])));
    assert!(
        full.contains("imported: 1 new, 0 changed, 1 unchanged"),
        "{full}"
    );
    let again = stdout(succeeded(&provider.run(&["members", "import", &dry])));
    assert!(
        again.contains("imported: 0 new, 0 changed, 2 unchanged"),
        "{again}"
    );

    let shown = stdout(succeeded(&provider.run(&["members", "show", "b987654320"])));
    assert!(shown.contains("name: Lena Mustermann"), "{shown}");
    assert!(shown.contains("main_member: A123456780"));
    let erika = stdout(succeeded(&provider.run(&["members", "show", "A123456780"])));
    assert!(erika.contains("mobile: +491711234567"));
    assert!(erika.contains("birth_date: 1980-04-02"));

    let audit = stdout(succeeded(&provider.run(&["audit", "list"])));
    assert_eq!(audit.matches("members_imported").count(), 3, "{audit}");
}

#[test]
fn members_import_refuses_unusable_files_with_a_clear_message() {
    let provider = Provider::new();
    let unknown = write(&provider, "unknown.csv", "kvnr;name\nA123456780;Erika\n");
    let error = failed(&provider.run(&["members", "import", &unknown]));
    assert!(error.contains("unknown column \"name\""), "{error}");
    let latin1 = provider.dir.path().join("latin1.csv");
    std::fs::write(&latin1, b"kvnr;given_name\nA123456780;J\xfcrgen\n").unwrap();
    let error = failed(&provider.run(&["members", "import", &latin1.display().to_string()]));
    assert!(error.contains("is not UTF-8"), "{error}");
    let missing = failed(&provider.run(&["members", "import", "/nonexistent.csv"]));
    assert!(missing.contains("cannot read"), "{missing}");
    let bad = failed(&provider.run(&["members", "show", "A12"]));
    assert!(bad.contains("characters"), "{bad}");
}
