//! `pforte operator grant | revoke | list` (R-OP-1): roles of the admin
//! console's operators, each change an audit event.

use super::{Provider, failed, stdout, succeeded};

#[test]
fn r_op_1_operator_roles_are_granted_listed_revoked_and_audited() {
    let provider = Provider::new();
    succeeded(&provider.run(&[
        "user",
        "add",
        "--username",
        "anna",
        "--password",
        "Desk-Pass-2027!",
    ]));
    let granted = provider.run(&[
        "operator",
        "grant",
        "--username",
        "anna",
        "--role",
        "support",
    ]);
    assert_eq!(stdout(succeeded(&granted)), "user anna now holds support\n");
    let again = provider.run(&[
        "operator",
        "grant",
        "--username",
        "Anna",
        "--role",
        "support",
    ]);
    assert_eq!(
        stdout(succeeded(&again)),
        "user anna already holds support\n"
    );
    let unknown =
        failed(&provider.run(&["operator", "grant", "--username", "anna", "--role", "root"]));
    assert!(unknown.contains("unknown role \"root\""), "{unknown}");
    assert!(unknown.contains("security_admin"), "{unknown}");
    let nobody = failed(&provider.run(&[
        "operator",
        "grant",
        "--username",
        "nobody",
        "--role",
        "auditor",
    ]));
    assert!(nobody.contains("nobody"), "{nobody}");

    let listed = stdout(succeeded(&provider.run(&["operator", "list"])));
    let lines: Vec<_> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[1].starts_with("anna\tsupport\t"), "{listed}");
    assert!(lines[1].ends_with("\tcli"), "{listed}");

    let revoked = provider.run(&[
        "operator",
        "revoke",
        "--username",
        "anna",
        "--role",
        "support",
    ]);
    assert_eq!(
        stdout(succeeded(&revoked)),
        "user anna no longer holds support\n"
    );
    let not_held = failed(&provider.run(&[
        "operator",
        "revoke",
        "--username",
        "anna",
        "--role",
        "support",
    ]));
    assert!(not_held.contains("does not hold support"), "{not_held}");
    let listed = stdout(succeeded(&provider.run(&["operator", "list"])));
    assert_eq!(listed.lines().count(), 1, "{listed}");

    let trail = stdout(succeeded(
        &provider.run(&["audit", "list", "--user", "anna"]),
    ));
    let granted: Vec<_> = trail
        .lines()
        .filter(|line| line.contains(" operator_role_granted "))
        .collect();
    assert_eq!(granted.len(), 1, "{trail}");
    assert!(
        granted[0].contains("detail=\"role=support by=cli\""),
        "{trail}"
    );
    assert_eq!(
        trail.matches(" operator_role_revoked ").count(),
        1,
        "{trail}"
    );
}
