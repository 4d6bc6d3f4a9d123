#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::tests::{Fixture, cheap, fixture_with_policy};
use crate::audit::{AuditKind, AuditQuery, RequestContext};
use crate::operator::{AccountState, OperatorChange};
use crate::ports::{AccountStore, CredentialStore, LockoutStore};
use crate::service::IdentityError;
use chrono::TimeDelta;
use pforte_policy::{IdentifierError, LockState, PasswordViolation, ResolvedPolicy};

const POLICY: &str = r#"
[identifiers]
accepted = ["self_chosen", "kvnr"]

[password]
min_length = 8
history = 2

[password.composition]
rule = "at_least"
classes = ["upper", "lower", "digit", "special"]
at_least = 3

[password.hashing]
memory_kib = 1024
iterations = 1
parallelism = 1

[lockout]
max_failures = 5
lock_duration = "24h"
during_lock = "DURING"

[throttle]
per_ip = { max_failures = 8, window = "15m" }
per_network = { max_failures = 1000, window = "15m" }
"#;

async fn fixture(during_lock: &str) -> Fixture {
    let policy = ResolvedPolicy::from_toml(&POLICY.replace("DURING", during_lock)).unwrap();
    let hasher = cheap(1024);
    fixture_with_policy(&hasher, hasher.clone(), policy).await
}

fn from(ip: &str) -> RequestContext {
    RequestContext {
        operator: None,
        client_id: Some("portal".into()),
        ip: Some(ip.parse().unwrap()),
        user_agent: Some("agent".into()),
        request_id: Some("req".into()),
    }
}

async fn events(fx: &Fixture) -> Vec<AuditKind> {
    fx.guard
        .audit_events(&AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

#[tokio::test]
async fn r_id_2_malformed_kvnr_is_refused_with_its_reason_before_any_lookup() {
    let fx = fixture("ignore").await;
    let error = fx
        .service
        .login("X110411676", "whatever", &from("192.0.2.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            IdentityError::InvalidIdentifier(IdentifierError::Kvnr(_))
        ),
        "{error:?}"
    );
    assert_eq!(error.public_code(), "PF-LOGIN-002");
    assert!(
        fx.guard.counters.lock().unwrap().is_empty(),
        "nothing counted"
    );
    assert!(events(&fx).await.is_empty());
}

#[tokio::test]
async fn r_lo_1_five_failures_lock_and_the_lock_ends_by_the_clock() {
    let fx = fixture("ignore").await;
    let context = from("192.0.2.1");
    for _ in 0..5 {
        let error = fx
            .service
            .login("alice", "wrong", &context)
            .await
            .unwrap_err();
        assert!(matches!(error, IdentityError::InvalidCredentials));
    }
    let refused = fx.service.login("alice", "correct horse", &context).await;
    assert!(matches!(refused, Err(IdentityError::InvalidCredentials)));
    let status = fx.service.account_status("alice").await.unwrap();
    assert_eq!(status.state, AccountState::Locked);
    assert_eq!(status.failures, 5);
    assert_eq!(
        status.locked_until,
        Some(super::tests::start() + TimeDelta::hours(24))
    );

    fx.clock.advance(TimeDelta::hours(24));
    let outcome = fx
        .service
        .login("alice", "correct horse", &context)
        .await
        .unwrap();
    assert_eq!(outcome.account.id, fx.alice);
    assert_eq!(
        fx.service.account_status("alice").await.unwrap().state,
        AccountState::Active
    );
    let kinds = events(&fx).await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == AuditKind::AccountLocked)
            .count(),
        1
    );
    assert!(kinds.contains(&AuditKind::AccountUnlocked));
    assert_eq!(kinds.last(), Some(&AuditKind::LoginSucceeded));
}

#[tokio::test]
async fn r_lo_2_attempt_during_lock_deactivates_until_an_operator_reactivates() {
    let fx = fixture("deactivate").await;
    let context = from("192.0.2.1");
    for _ in 0..5 {
        let _ = fx.service.login("alice", "wrong", &context).await;
    }
    let during = fx.service.login("alice", "correct horse", &context).await;
    assert!(matches!(during, Err(IdentityError::InvalidCredentials)));
    fx.clock.advance(TimeDelta::days(30));
    let later = fx.service.login("alice", "correct horse", &context).await;
    assert!(matches!(later, Err(IdentityError::InvalidCredentials)));
    assert_eq!(
        fx.service.account_status("alice").await.unwrap().state,
        AccountState::Deactivated
    );
    assert_eq!(
        fx.service.unlock("alice", &context).await.unwrap(),
        OperatorChange::Deactivated
    );
    assert_eq!(
        fx.service.reactivate("alice", &context).await.unwrap(),
        OperatorChange::Changed
    );
    fx.service
        .login("alice", "correct horse", &context)
        .await
        .unwrap();
    let kinds = events(&fx).await;
    assert!(kinds.contains(&AuditKind::AccountDeactivated));
    assert!(kinds.contains(&AuditKind::AccountReactivated));
}

#[tokio::test]
async fn r_lo_2_extend_restarts_the_lock_from_the_attempt() {
    let fx = fixture("extend").await;
    let context = from("192.0.2.1");
    for _ in 0..5 {
        let _ = fx.service.login("alice", "wrong", &context).await;
    }
    fx.clock.advance(TimeDelta::hours(23));
    let _ = fx.service.login("alice", "correct horse", &context).await;
    fx.clock.advance(TimeDelta::hours(2));
    let refused = fx.service.login("alice", "correct horse", &context).await;
    assert!(refused.is_err(), "the lock was extended to 47 h");
    assert!(events(&fx).await.contains(&AuditKind::LockExtended));
}

#[tokio::test]
async fn r_lo_4_unknown_names_are_counted_locked_and_answered_alike() {
    let fx = fixture("ignore").await;
    let context = from("192.0.2.1");
    for _ in 0..6 {
        let error = fx
            .service
            .login("mallory", "x", &context)
            .await
            .unwrap_err();
        assert!(matches!(error, IdentityError::InvalidCredentials));
    }
    let counters = fx.guard.counters.lock().unwrap().clone();
    assert!(matches!(
        counters.get("name:mallory"),
        Some((LockState::Locked { .. }, 5))
    ));
    let trail = fx
        .guard
        .audit_events(&AuditQuery {
            username: Some("mallory".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(trail.iter().all(|event| event.account.is_none()));
    assert!(
        trail
            .iter()
            .any(|event| event.kind == AuditKind::AccountLocked)
    );
}

#[tokio::test]
async fn r_lo_5_a_source_over_its_limit_is_refused_even_with_the_right_password() {
    let fx = fixture("ignore").await;
    let attacker = from("198.51.100.9");
    for name in [
        "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
    ] {
        let _ = fx.service.login(name, "Summer2026!", &attacker).await;
    }
    let refused = fx.service.login("alice", "correct horse", &attacker).await;
    assert!(matches!(refused, Err(IdentityError::InvalidCredentials)));
    let trail = fx.guard.audit.lock().unwrap().clone();
    assert!(
        trail
            .last()
            .unwrap()
            .detail
            .as_deref()
            .unwrap()
            .starts_with("throttled")
    );
    fx.service
        .login("alice", "correct horse", &from("203.0.113.1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn r_pw_3_initial_password_must_be_changed_and_is_invalid_afterwards() {
    let fx = fixture("ignore").await;
    let context = from("192.0.2.1");
    fx.guard
        .set_must_change_password(fx.alice, true)
        .await
        .unwrap();
    let outcome = fx
        .service
        .login("alice", "correct horse", &context)
        .await
        .unwrap();
    assert!(outcome.must_change_password);

    let error = fx
        .service
        .change_initial_password(fx.alice, "alice", "alice", &context)
        .await
        .unwrap_err();
    let IdentityError::PasswordRejected(violations) = error else {
        panic!("{error:?}");
    };
    assert!(violations.contains(&PasswordViolation::TooShort { min: 8, actual: 5 }));
    assert!(violations.contains(&PasswordViolation::EqualsUsername));
    let reused = fx
        .service
        .change_initial_password(fx.alice, "correct horse", "correct horse", &context)
        .await;
    assert!(
        matches!(reused, Err(IdentityError::PasswordRejected(v)) if v.iter().any(|v| matches!(v, PasswordViolation::RecentlyUsed { .. })))
    );
    let mismatch = fx
        .service
        .change_initial_password(fx.alice, "Neues-Passwort-7", "Neues-Passwort-8", &context)
        .await;
    assert!(matches!(
        mismatch,
        Err(IdentityError::PasswordConfirmationMismatch)
    ));
    fx.service
        .change_initial_password(fx.alice, "Neues-Passwort-7", "Neues-Passwort-7", &context)
        .await
        .unwrap();

    let old = fx.service.login("alice", "correct horse", &context).await;
    assert!(matches!(old, Err(IdentityError::InvalidCredentials)));
    let fresh = fx
        .service
        .login("alice", "Neues-Passwort-7", &context)
        .await
        .unwrap();
    assert!(!fresh.must_change_password);
    let again = fx
        .service
        .change_initial_password(
            fx.alice,
            "Anderes-Passwort-9",
            "Anderes-Passwort-9",
            &context,
        )
        .await;
    assert!(matches!(again, Err(IdentityError::NoPasswordChangePending)));
    assert!(events(&fx).await.contains(&AuditKind::PasswordChanged));
}

#[tokio::test]
async fn r_pw_2_history_refuses_the_last_passwords_by_their_hashes() {
    let fx = fixture("ignore").await;
    let context = from("192.0.2.1");
    let alice = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
    for password in ["First-Pass-1", "Second-Pass-2"] {
        let current = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
        fx.service
            .set_password_by_operator(&current, password, false, &context)
            .await
            .unwrap();
    }
    let current = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
    for old in ["First-Pass-1", "Second-Pass-2", "correct horse"] {
        let result = fx.service.check_new_password(&current, old).await;
        let rejected = matches!(&result, Err(IdentityError::PasswordRejected(v)) if v.iter().any(|v| matches!(v, PasswordViolation::RecentlyUsed { .. })));
        // "correct horse" also breaks the class rule; the history (2 previous
        // plus the current) covers all three.
        assert!(rejected, "{old}: {result:?}");
    }
    let stored = fx.guard.password_state(alice.id).await.unwrap();
    assert!(
        stored
            .history
            .iter()
            .all(|hash| hash.starts_with("$argon2id$"))
    );
}

#[tokio::test]
async fn r_pw_1_rehash_is_an_audit_event() {
    let policy = ResolvedPolicy::from_toml(&POLICY.replace("DURING", "ignore")).unwrap();
    let fx = fixture_with_policy(&cheap(1024), cheap(2048), policy).await;
    fx.service
        .login("alice", "correct horse", &from("192.0.2.1"))
        .await
        .unwrap();
    let trail = fx.guard.audit.lock().unwrap().clone();
    let rehash = trail
        .iter()
        .find(|event| event.kind == AuditKind::PasswordRehashed)
        .unwrap();
    assert_eq!(rehash.detail.as_deref(), Some("from=m=1024,t=1,p=1"));
}

/// R-ID-1: with `verified_email` accepted, a verified address logs in to its
/// account; an unverified one is answered like an unknown name.
#[tokio::test]
async fn r_id_1_verified_email_logs_in_and_an_unverified_one_does_not() {
    let policy = ResolvedPolicy::from_toml(&POLICY.replace("DURING", "ignore").replace(
        r#"["self_chosen", "kvnr"]"#,
        r#"["self_chosen", "verified_email"]"#,
    ))
    .unwrap();
    let hasher = cheap(1024);
    let fx = fixture_with_policy(&hasher, hasher.clone(), policy).await;
    let mut alice = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
    alice.email = Some("Alice@Example.org".into());
    alice.email_verified = true;
    fx.accounts.insert_account(&alice).await.unwrap();
    let mut bob = alice.clone();
    bob.id = pforte_types::AccountId::new();
    bob.username = "bob".into();
    bob.email = Some("bob@example.org".into());
    bob.email_verified = false;
    fx.accounts.insert_account(&bob).await.unwrap();

    let by_email = fx
        .service
        .login("alice@example.org", "correct horse", &from("192.0.2.7"))
        .await
        .unwrap();
    assert_eq!(by_email.account.id, fx.alice);
    let unverified = fx
        .service
        .login("bob@example.org", "correct horse", &from("192.0.2.7"))
        .await;
    assert!(
        matches!(unverified, Err(IdentityError::InvalidCredentials)),
        "{unverified:?}"
    );
}

/// Under a login storm the hashing queue fills up; a login beyond it is
/// refused with `Busy` before its attempt is reserved, so it counts nothing,
/// writes no audit event and runs no hash (R-OP-3, R-LO-3).
#[tokio::test]
async fn r_op_3_login_refused_by_a_full_hashing_queue_counts_no_attempt() {
    let policy = ResolvedPolicy::from_toml(&POLICY.replace("DURING", "ignore")).unwrap();
    let stored = cheap(1024);
    let params = pforte_crypto::Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    let pool = pforte_crypto::HashPool::new(pforte_crypto::PoolLimits {
        workers: 1,
        queue_limit: 0,
    });
    let busy = std::sync::Arc::new(
        pforte_crypto::PasswordHasher::with_pool(params, pool.clone()).unwrap(),
    );
    let fx = fixture_with_policy(&stored, busy.clone(), policy).await;
    let held = pool.admit().unwrap();

    let error = fx
        .service
        .login("alice", "correct horse", &from("192.0.2.7"))
        .await
        .unwrap_err();
    assert!(matches!(error, IdentityError::Busy), "{error:?}");
    assert_eq!(error.public_code(), "PF-LOGIN-503");
    assert_eq!(busy.verifications(), 0);
    assert!(fx.guard.counters.lock().unwrap().is_empty());
    assert!(events(&fx).await.is_empty());

    drop(held);
    let outcome = fx
        .service
        .login("alice", "correct horse", &from("192.0.2.7"))
        .await
        .unwrap();
    assert_eq!(outcome.account.id, fx.alice);
    assert_eq!(busy.verifications(), 1);
}
