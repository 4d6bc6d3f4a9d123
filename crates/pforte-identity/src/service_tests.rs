#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::audit::{AuditEvent, AuditQuery};
use crate::ports::{
    CounterKey, CredentialStore, LockRecord, LockStep, LockoutStore, PasswordState,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_crypto::Argon2Params;
use pforte_policy::{LockState, ResolvedPolicy};
use pforte_types::ManualClock;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub(crate) struct FakeAccounts {
    accounts: Mutex<HashMap<AccountId, Account>>,
}

#[async_trait]
impl AccountStore for FakeAccounts {
    async fn insert_account(&self, account: &Account) -> Result<(), StoreError> {
        self.accounts
            .lock()
            .unwrap()
            .insert(account.id, account.clone());
        Ok(())
    }
    async fn get_account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.accounts.lock().unwrap().get(&id).cloned())
    }
    async fn find_by_username(&self, username: &str) -> Result<Option<Account>, StoreError> {
        Ok(self
            .accounts
            .lock()
            .unwrap()
            .values()
            .find(|account| account.username.eq_ignore_ascii_case(username))
            .cloned())
    }
    async fn find_by_verified_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let accounts = self.accounts.lock().unwrap();
        let mut matching = accounts.values().filter(|account| {
            account.email_verified
                && account
                    .email
                    .as_deref()
                    .is_some_and(|stored| stored.eq_ignore_ascii_case(email))
        });
        Ok(match (matching.next(), matching.next()) {
            (Some(account), None) => Some(account.clone()),
            _ => None,
        })
    }
    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        Ok(self.accounts.lock().unwrap().values().cloned().collect())
    }
    async fn set_password_hash(
        &self,
        id: AccountId,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Some(account) = self.accounts.lock().unwrap().get_mut(&id) {
            account.password_hash = password_hash.to_owned();
            account.updated_at = at;
        }
        Ok(())
    }
}

#[derive(Default)]
pub(crate) struct FakeSessions {
    sessions: Mutex<HashMap<String, ProviderSession>>,
}

#[async_trait]
impl SessionStore for FakeSessions {
    async fn put_session(&self, session: &ProviderSession) -> Result<(), StoreError> {
        self.sessions
            .lock()
            .unwrap()
            .insert(session.sid.clone(), session.clone());
        Ok(())
    }
    async fn get_session(&self, sid: &str) -> Result<Option<ProviderSession>, StoreError> {
        Ok(self.sessions.lock().unwrap().get(sid).cloned())
    }
    async fn delete_session(&self, sid: &str) -> Result<(), StoreError> {
        self.sessions.lock().unwrap().remove(sid);
        Ok(())
    }
    async fn touch_session(
        &self,
        sid: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ProviderSession>, StoreError> {
        let mut sessions = self.sessions.lock().unwrap();
        Ok(sessions.get_mut(sid).map(|session| {
            session.last_seen_at = Some(at);
            session.clone()
        }))
    }
    async fn sessions_of_account(
        &self,
        account: AccountId,
    ) -> Result<Vec<ProviderSession>, StoreError> {
        Ok(self
            .sessions
            .lock()
            .unwrap()
            .values()
            .filter(|session| session.account_id == account)
            .cloned()
            .collect())
    }
    async fn add_session_client(&self, sid: &str, client_id: &str) -> Result<(), StoreError> {
        if let Some(session) = self.sessions.lock().unwrap().get_mut(sid)
            && !session.clients.iter().any(|known| known == client_id)
        {
            session.clients.push(client_id.to_owned());
        }
        Ok(())
    }
}

pub(crate) fn cheap(memory_kib: u32) -> Arc<PasswordHasher> {
    Arc::new(
        PasswordHasher::new(Argon2Params {
            memory_kib,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap(),
    )
}

pub(crate) struct Fixture {
    pub(crate) service: IdentityService,
    pub(crate) accounts: Arc<FakeAccounts>,
    pub(crate) sessions: Arc<FakeSessions>,
    pub(crate) clock: ManualClock,
    pub(crate) alice: AccountId,
    pub(crate) guard: Arc<FakeGuard>,
}

pub(crate) fn start() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

async fn fixture_with(
    stored_hasher: &PasswordHasher,
    service_hasher: Arc<PasswordHasher>,
) -> Fixture {
    fixture_with_policy(stored_hasher, service_hasher, ResolvedPolicy::default()).await
}

pub(crate) async fn fixture_with_policy(
    stored_hasher: &PasswordHasher,
    service_hasher: Arc<PasswordHasher>,
    policy: ResolvedPolicy,
) -> Fixture {
    let clock = ManualClock::new(start());
    let accounts = Arc::new(FakeAccounts::default());
    let sessions = Arc::new(FakeSessions::default());
    let alice = AccountId::new();
    accounts
        .insert_account(&Account {
            id: alice,
            username: "alice".to_owned(),
            password_hash: stored_hasher.hash("correct horse").await.unwrap(),
            email: None,
            email_verified: false,
            given_name: None,
            family_name: None,
            phone: None,
            phone_verified: false,
            totp_secret_encrypted: None,
            created_at: start(),
            updated_at: start(),
        })
        .await
        .unwrap();
    let service = IdentityService::new(
        accounts.clone(),
        sessions.clone(),
        service_hasher,
        Arc::new(clock.clone()),
        Duration::from_secs(3600),
    );
    let guard = Arc::new(FakeGuard {
        accounts: accounts.clone(),
        ..FakeGuard::default()
    });
    let service = service.with_login_guard(crate::service::LoginGuard {
        policy: Arc::new(policy),
        lockout: guard.clone(),
        credentials: guard.clone(),
    });
    Fixture {
        service,
        accounts,
        sessions,
        clock,
        alice,
        guard,
    }
}

pub(crate) async fn fixture() -> Fixture {
    let hasher = cheap(1024);
    fixture_with(&hasher, hasher.clone()).await
}

#[tokio::test]
async fn r_lo_4_correct_password_logs_in_case_insensitively() {
    let fx = fixture().await;
    let account = fx
        .service
        .login_with_password("ALICE", "correct horse")
        .await
        .unwrap();
    assert_eq!(account.id, fx.alice);
}

#[tokio::test]
async fn r_lo_4_wrong_password_and_unknown_user_are_the_same_error() {
    let fx = fixture().await;
    let wrong = fx
        .service
        .login_with_password("alice", "wrong")
        .await
        .unwrap_err();
    let unknown = fx
        .service
        .login_with_password("mallory", "correct horse")
        .await
        .unwrap_err();
    for error in [&wrong, &unknown] {
        assert!(matches!(error, IdentityError::InvalidCredentials));
        assert_eq!(error.public_code(), "PF-LOGIN-001");
    }
    assert_eq!(wrong.to_string(), unknown.to_string());
}

#[tokio::test]
async fn r_pw_1_hash_with_old_parameters_is_replaced_on_login() {
    let old = cheap(1024);
    let fx = fixture_with(&old, cheap(2048)).await;
    let before = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
    assert!(before.password_hash.contains("m=1024"));
    fx.clock.advance(chrono::Duration::seconds(5));
    let account = fx
        .service
        .login_with_password("alice", "correct horse")
        .await
        .unwrap();
    let stored = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
    assert!(stored.password_hash.contains("m=2048"));
    assert_eq!(account.password_hash, stored.password_hash);
    assert_eq!(stored.updated_at, start() + chrono::Duration::seconds(5));
    // The new hash still verifies.
    fx.service
        .login_with_password("alice", "correct horse")
        .await
        .unwrap();
}

#[tokio::test]
async fn r_pw_1_current_hash_is_left_alone() {
    let fx = fixture().await;
    let before = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
    fx.service
        .login_with_password("alice", "correct horse")
        .await
        .unwrap();
    let after = fx.accounts.get_account(fx.alice).await.unwrap().unwrap();
    assert_eq!(before.password_hash, after.password_hash);
}

#[tokio::test]
async fn rfc8176_password_session_carries_pwd_amr_auth_time_and_expiry() {
    let fx = fixture().await;
    let session = fx.service.start_password_session(fx.alice).await.unwrap();
    assert_eq!(session.amr, ["pwd"]);
    assert_eq!(session.acr, PASSWORD_ACR);
    assert_eq!(session.auth_time, start());
    assert_eq!(
        session.expires_at,
        start() + chrono::Duration::seconds(3600)
    );
    assert!(session.sid.len() >= 43, "256-bit random sid");
    let other = fx.service.start_password_session(fx.alice).await.unwrap();
    assert_ne!(session.sid, other.sid);
    assert!(
        fx.sessions
            .sessions
            .lock()
            .unwrap()
            .contains_key(&session.sid)
    );
}

#[tokio::test]
async fn r_se_1_session_is_live_until_its_expiry() {
    let fx = fixture().await;
    let session = fx.service.start_password_session(fx.alice).await.unwrap();
    assert!(
        fx.service
            .live_session(&session.sid)
            .await
            .unwrap()
            .is_some()
    );
    fx.clock.advance(chrono::Duration::seconds(3599));
    assert!(
        fx.service
            .live_session(&session.sid)
            .await
            .unwrap()
            .is_some()
    );
    fx.clock.advance(chrono::Duration::seconds(1));
    assert!(
        fx.service
            .live_session(&session.sid)
            .await
            .unwrap()
            .is_none()
    );
    assert!(fx.service.live_session("").await.unwrap().is_none());
    assert!(fx.service.live_session("unknown").await.unwrap().is_none());
}

#[tokio::test]
async fn r_se_2_ended_session_is_gone_and_clients_are_recorded_once() {
    let fx = fixture().await;
    let session = fx.service.start_password_session(fx.alice).await.unwrap();
    fx.service
        .record_client(&session.sid, "portal")
        .await
        .unwrap();
    fx.service
        .record_client(&session.sid, "portal")
        .await
        .unwrap();
    fx.service.record_client(&session.sid, "app").await.unwrap();
    let live = fx
        .service
        .live_session(&session.sid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.clients, ["portal", "app"]);
    fx.service
        .end_session(&session.sid, crate::session::SessionEndReason::Logout)
        .await
        .unwrap();
    assert!(
        fx.service
            .live_session(&session.sid)
            .await
            .unwrap()
            .is_none()
    );
    fx.service
        .end_session(&session.sid, crate::session::SessionEndReason::Logout)
        .await
        .unwrap();
}

/// R-LO-4: an unknown username costs exactly one Argon2 verification, like a
/// wrong password, so neither the answer nor its cost reveals whether the
/// account exists. Counted, not timed: the timing itself is measured by
/// `bench/timing-probe.sh` (docs/security.md).
#[tokio::test]
async fn r_lo_4_unknown_user_costs_one_hash_verification_like_a_wrong_password() {
    let hasher = cheap(1024);
    let fx = fixture_with(&hasher, hasher.clone()).await;
    let before = hasher.verifications();
    let wrong = fx.service.login_with_password("alice", "wrong").await;
    let after_wrong = hasher.verifications();
    let unknown = fx.service.login_with_password("nobody", "wrong").await;
    let after_unknown = hasher.verifications();
    assert_eq!(
        after_wrong - before,
        1,
        "a wrong password verifies one hash"
    );
    assert_eq!(
        after_unknown - after_wrong,
        1,
        "an unknown user verifies the dummy hash once"
    );
    assert_eq!(
        wrong.unwrap_err().to_string(),
        unknown.unwrap_err().to_string()
    );
}

/// Lockout counters, audit trail and password state in memory; one mutex makes
/// every update atomic like the store's row lock.
#[derive(Default)]
pub(crate) struct FakeGuard {
    pub(crate) accounts: Arc<FakeAccounts>,
    pub(crate) counters: Mutex<HashMap<String, (LockState, u32)>>,
    pub(crate) audit: Mutex<Vec<AuditEvent>>,
    pub(crate) state: Mutex<HashMap<AccountId, PasswordState>>,
}

#[async_trait]
impl LockoutStore for FakeGuard {
    async fn update_lock_state(
        &self,
        key: &CounterKey,
        step: LockStep<'_>,
    ) -> Result<(LockState, LockState), StoreError> {
        let mut counters = self.counters.lock().unwrap();
        let (before, failures) = counters.get(&key.key).copied().unwrap_or_default();
        let transition = step(before);
        let failures = match transition.state {
            LockState::Open { consecutive, .. } | LockState::Locked { consecutive, .. } => {
                consecutive
            }
            LockState::Deactivated { .. } => failures,
        };
        counters.insert(key.key.clone(), (transition.state, failures));
        self.audit.lock().unwrap().extend(transition.events);
        Ok((before, transition.state))
    }

    async fn lock_record(&self, key: &str) -> Result<Option<LockRecord>, StoreError> {
        Ok(self
            .counters
            .lock()
            .unwrap()
            .get(key)
            .map(|(state, failures)| LockRecord {
                state: *state,
                failures: *failures,
                last_failure_at: None,
            }))
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.audit.lock().unwrap().extend_from_slice(events);
        Ok(())
    }

    async fn purge_idle_unknown_counters(
        &self,
        _idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(0)
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(self
            .audit
            .lock()
            .unwrap()
            .iter()
            .filter(|event| query.account.is_none_or(|id| event.account == Some(id)))
            .filter(|event| {
                query
                    .username
                    .as_ref()
                    .is_none_or(|name| event.username.as_ref() == Some(name))
            })
            .filter(|event| query.since.is_none_or(|since| event.at >= since))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl CredentialStore for FakeGuard {
    async fn password_state(&self, id: AccountId) -> Result<PasswordState, StoreError> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .unwrap_or_default())
    }

    async fn replace_password(
        &self,
        id: AccountId,
        new_hash: &str,
        must_change: bool,
        keep_history: usize,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let previous = self.accounts.get_account(id).await?.unwrap().password_hash;
        self.accounts.set_password_hash(id, new_hash, at).await?;
        let mut states = self.state.lock().unwrap();
        let state = states.entry(id).or_default();
        state.must_change = must_change;
        state.history.insert(0, previous);
        state.history.truncate(keep_history);
        self.audit.lock().unwrap().extend_from_slice(events);
        Ok(())
    }

    async fn rehash_password(
        &self,
        id: AccountId,
        new_hash: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.accounts.set_password_hash(id, new_hash, at).await?;
        self.audit.lock().unwrap().push(event.clone());
        Ok(())
    }

    async fn set_must_change_password(&self, id: AccountId, flag: bool) -> Result<(), StoreError> {
        self.state
            .lock()
            .unwrap()
            .entry(id)
            .or_default()
            .must_change = flag;
        Ok(())
    }
}
