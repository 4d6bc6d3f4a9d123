#![allow(clippy::unwrap_used)]

use super::*;
use crate::account::Account;
use crate::audit::AuditQuery;
use crate::member::ImportOptions;
use crate::ports::{CounterKey, LockRecord, LockStep, MemberStore, StoredMember, UpsertCounts};
use crate::registration::MemberLink;
use chrono::TimeZone;
use pforte_crypto::MasterKey;
use pforte_policy::LockState;
use pforte_types::ManualClock;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct FakeMembers {
    rows: Mutex<HashMap<String, StoredMember>>,
}

#[async_trait]
impl MemberStore for FakeMembers {
    async fn upsert_members(
        &self,
        members: &[StoredMember],
        _at: DateTime<Utc>,
        _event: AuditEvent,
    ) -> Result<UpsertCounts, StoreError> {
        let mut rows = self.rows.lock().unwrap();
        for member in members {
            rows.insert(member.kvnr_digest.clone(), member.clone());
        }
        Ok(UpsertCounts::default())
    }
    async fn member(&self, kvnr_digest: &str) -> Result<Option<StoredMember>, StoreError> {
        Ok(self.rows.lock().unwrap().get(kvnr_digest).cloned())
    }
    async fn count_members(&self) -> Result<u64, StoreError> {
        Ok(self.rows.lock().unwrap().len() as u64)
    }
}

/// Links and events in memory, following the port's contract.
#[derive(Default)]
struct FakeLinks {
    links: Mutex<HashMap<AccountId, MemberLink>>,
    events: Mutex<Vec<AuditEvent>>,
}

#[async_trait]
impl MemberLinkStore for FakeLinks {
    async fn insert_linked_account(
        &self,
        _account: &Account,
        link: &MemberLink,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        self.links
            .lock()
            .unwrap()
            .insert(link.account_id, link.clone());
        self.events.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
    async fn link_of_account(&self, account: AccountId) -> Result<Option<MemberLink>, StoreError> {
        Ok(self.links.lock().unwrap().get(&account).cloned())
    }
    async fn link_of_member(&self, kvnr_digest: &str) -> Result<Option<MemberLink>, StoreError> {
        Ok(self
            .links
            .lock()
            .unwrap()
            .values()
            .find(|link| link.kvnr_digest == kvnr_digest)
            .cloned())
    }
    async fn set_stage(
        &self,
        account: AccountId,
        stage: Stage,
        proofing: Proofing,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        if let Some(link) = self.links.lock().unwrap().get_mut(&account) {
            link.stage = stage;
            link.proofing = proofing;
            link.updated_at = at;
            if stage == Stage::Active && link.activated_at.is_none() {
                link.activated_at = Some(at);
            }
            self.events.lock().unwrap().extend_from_slice(events);
        }
        Ok(())
    }
    async fn links_with_membership_over(
        &self,
        _day: chrono::NaiveDate,
    ) -> Result<Vec<MemberLink>, StoreError> {
        Ok(Vec::new())
    }
    async fn links_with_membership_restarted(
        &self,
        _day: chrono::NaiveDate,
    ) -> Result<Vec<MemberLink>, StoreError> {
        Ok(Vec::new())
    }
}

#[async_trait]
impl LockoutStore for FakeLinks {
    async fn update_lock_state(
        &self,
        _key: &CounterKey,
        _step: LockStep<'_>,
    ) -> Result<(LockState, LockState), StoreError> {
        unreachable!("identity proofing counts no lockout")
    }
    async fn lock_record(&self, _key: &str) -> Result<Option<LockRecord>, StoreError> {
        Ok(None)
    }
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.events.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
    async fn audit_events(&self, _query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        Ok(self.events.lock().unwrap().clone())
    }
    async fn purge_idle_unknown_counters(
        &self,
        _idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(0)
    }
}

#[derive(Default)]
struct FakeEphemeral {
    values: Mutex<HashMap<String, Vec<u8>>>,
}

#[async_trait]
impl EphemeralStore for FakeEphemeral {
    async fn put_ephemeral(
        &self,
        key: &str,
        value: &[u8],
        _ttl: Duration,
    ) -> Result<(), StoreError> {
        self.values
            .lock()
            .unwrap()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }
    async fn get_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.values.lock().unwrap().get(key).cloned())
    }
    async fn take_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.values.lock().unwrap().remove(key))
    }
}

/// An ident service that vouches for fixed claims, checking that the
/// verifier fits the challenge it was sent and the nonce is the attempt's.
struct FakeService {
    claims: IdentClaims,
    sent: Mutex<Vec<IdentRequest>>,
}

#[async_trait]
impl IdentService for FakeService {
    fn display_name(&self) -> &str {
        "Ident-Dienst"
    }
    async fn authorization_url(&self, request: &IdentRequest) -> Result<String, IdentServiceError> {
        self.sent.lock().unwrap().push(request.clone());
        Ok(format!(
            "https://ident.example/authorize?state={}",
            request.state
        ))
    }
    async fn redeem(
        &self,
        code: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<IdentClaims, IdentServiceError> {
        let sent = self.sent.lock().unwrap();
        let request = sent.last().unwrap();
        if code != "good-code"
            || pforte_crypto::random::sha256_b64url(code_verifier) != request.code_challenge
        {
            return Err(IdentServiceError::Refused("invalid_grant".into()));
        }
        if nonce != request.nonce {
            return Err(id_token::IdTokenError::Nonce.into());
        }
        Ok(self.claims.clone())
    }
}

struct Fixture {
    proofing: IdentProofing,
    links: Arc<FakeLinks>,
    service: Arc<FakeService>,
    account: AccountId,
}

async fn fixture(given: &str, family: &str, birthdate: &str) -> Fixture {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let member_store = Arc::new(FakeMembers::default());
    let registry = Arc::new(MemberRegistry::new(
        member_store.clone(),
        Arc::new(MasterKey::generate()),
        clock.clone(),
    ));
    registry
        .import(
            "kvnr;given_name;family_name;birth_date;postal_code;membership_start\n\
             A123456780;Erika;Mustermann;1980-04-02;10115;2001-01-01\n",
            ImportOptions::default(),
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let digest = member_store
        .rows
        .lock()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let links = Arc::new(FakeLinks::default());
    let account = AccountId::new();
    links.links.lock().unwrap().insert(
        account,
        MemberLink {
            account_id: account,
            kvnr_digest: digest,
            stage: Stage::AwaitingActivation,
            proofing: Proofing::Letter,
            registered_at: now,
            activated_at: None,
            updated_at: now,
        },
    );
    let service = Arc::new(FakeService {
        claims: IdentClaims {
            issuer: "https://ident.example".into(),
            subject: "u-17".into(),
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            birthdate: Some(birthdate.into()),
        },
        sent: Mutex::new(Vec::new()),
    });
    let proofing = IdentProofing::new(
        service.clone(),
        links.clone(),
        registry,
        Arc::new(FakeEphemeral::default()),
        links.clone(),
        clock,
    );
    Fixture {
        proofing,
        links,
        service,
        account,
    }
}

fn state_of(url: &str) -> String {
    url.split("state=").nth(1).unwrap().to_owned()
}

fn kinds(links: &FakeLinks) -> Vec<AuditKind> {
    links
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|event| event.kind)
        .collect()
}

#[tokio::test]
async fn r_rg_5_matching_claims_activate_the_account_with_proofing_ident() {
    let fx = fixture("ERIKA", "Mustermann", "1980-04-02").await;
    let url = fx
        .proofing
        .begin(fx.account, Some("i-1".into()))
        .await
        .unwrap();
    let sent = fx.service.sent.lock().unwrap().last().cloned().unwrap();
    assert_eq!(state_of(&url), sent.state);
    assert_ne!(sent.nonce, sent.state);
    let outcome = fx
        .proofing
        .finish(&sent.state, Ok("good-code"), &RequestContext::default())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        IdentOutcome::Activated {
            account: fx.account,
            interaction: Some("i-1".into())
        }
    );
    let link = fx.links.links.lock().unwrap()[&fx.account].clone();
    assert_eq!(link.stage, Stage::Active);
    assert_eq!(link.proofing, Proofing::Ident);
    assert!(link.activated_at.is_some());
    assert_eq!(
        kinds(&fx.links),
        vec![AuditKind::AccountActivated, AuditKind::IdentityProofed]
    );
    let detail = fx.links.events.lock().unwrap()[1].detail.clone().unwrap();
    assert!(detail.contains("sub=u-17"), "{detail}");
}

#[tokio::test]
async fn r_rg_5_mismatch_changes_nothing_and_is_audited_without_values() {
    let fx = fixture("Erika", "Musterfrau", "1980-04-03").await;
    let url = fx.proofing.begin(fx.account, None).await.unwrap();
    let outcome = fx
        .proofing
        .finish(&state_of(&url), Ok("good-code"), &RequestContext::default())
        .await
        .unwrap();
    let IdentOutcome::Mismatch { report, .. } = outcome else {
        unreachable!("expected a mismatch, got {outcome:?}");
    };
    assert_eq!(report.summary(), "family_name=differs,birthdate=differs");
    let link = fx.links.links.lock().unwrap()[&fx.account].clone();
    assert_eq!(link.stage, Stage::AwaitingActivation);
    assert_eq!(link.proofing, Proofing::Letter);
    let events = fx.links.events.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, AuditKind::IdentityProofingFailed);
    let detail = events[0].detail.clone().unwrap();
    assert!(
        !detail.contains("Musterfrau") && !detail.contains("1980"),
        "{detail}"
    );
    // The letter path stays open: a new attempt may start.
    assert!(fx.proofing.begin(fx.account, None).await.is_ok());
}

#[tokio::test]
async fn r_rg_5_an_attempt_is_single_use_and_bound_to_its_state() {
    let fx = fixture("Erika", "Mustermann", "1980-04-02").await;
    let url = fx.proofing.begin(fx.account, None).await.unwrap();
    let context = RequestContext::default();
    assert!(matches!(
        fx.proofing
            .finish("forged", Ok("good-code"), &context)
            .await,
        Err(IdentError::UnknownAttempt)
    ));
    let state = state_of(&url);
    assert!(matches!(
        fx.proofing.finish(&state, Ok("good-code"), &context).await,
        Ok(IdentOutcome::Activated { .. })
    ));
    let again = fx.proofing.finish(&state, Ok("good-code"), &context).await;
    assert!(matches!(again, Err(IdentError::UnknownAttempt)));
    assert_eq!(again.unwrap_err().public_code(), "PF-IDENT-002");
}

#[tokio::test]
async fn r_rg_5_only_accounts_awaiting_activation_may_start() {
    let fx = fixture("Erika", "Mustermann", "1980-04-02").await;
    let stranger = AccountId::new();
    assert!(matches!(
        fx.proofing.begin(stranger, None).await,
        Err(IdentError::NotAwaitingActivation)
    ));
    fx.links
        .links
        .lock()
        .unwrap()
        .get_mut(&fx.account)
        .unwrap()
        .stage = Stage::EmailUnconfirmed;
    assert!(matches!(
        fx.proofing.begin(fx.account, None).await,
        Err(IdentError::NotAwaitingActivation)
    ));
}

#[tokio::test]
async fn r_rg_5_cancel_and_refused_code_leave_the_account_waiting() {
    let fx = fixture("Erika", "Mustermann", "1980-04-02").await;
    let context = RequestContext::default();
    let url = fx.proofing.begin(fx.account, None).await.unwrap();
    let outcome = fx
        .proofing
        .finish(&state_of(&url), Err("access_denied"), &context)
        .await
        .unwrap();
    assert!(matches!(outcome, IdentOutcome::Cancelled { .. }));
    let url = fx.proofing.begin(fx.account, None).await.unwrap();
    let refused = fx
        .proofing
        .finish(&state_of(&url), Ok("stolen-code"), &context)
        .await;
    assert_eq!(refused.unwrap_err().public_code(), "PF-IDENT-003");
    assert_eq!(
        fx.links.links.lock().unwrap()[&fx.account].stage,
        Stage::AwaitingActivation
    );
    assert_eq!(
        kinds(&fx.links),
        vec![
            AuditKind::IdentityProofingFailed,
            AuditKind::IdentityProofingFailed
        ]
    );
}
