#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The parts of the WebAuthn factor that need no authenticator: ceremony
//! state kept server-side and used once, answers to another ceremony
//! refused and counted, the policy switch of passwordless sign-in. The
//! successful ceremonies run in Chromium with a virtual authenticator
//! (`conformance`, `r_mf_1_webauthn_…`).

use super::*;
use crate::audit::AuditKind;
use crate::factor::{ChallengeAttempt, CodeChallenge, EnrolledFactor, FactorId, OutboundMessage};
use crate::flow::{LoginTxn, MAX_FACTOR_FAILURES};
use crate::ports::{ChallengeStore, FactorStore, Notifier, NotifyError, ProfileStore};
use crate::service::FactorKit;
use crate::service::tests::{Fixture, fixture};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use pforte_crypto::MasterKey;
use pforte_factors::code::CodeDigester;
use pforte_types::Clock;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct FakeFactors {
    factors: Mutex<Vec<EnrolledFactor>>,
}

#[async_trait]
impl FactorStore for FakeFactors {
    async fn insert_factor(
        &self,
        factor: &EnrolledFactor,
        _events: &[crate::AuditEvent],
    ) -> Result<(), StoreError> {
        let mut factors = self.factors.lock().unwrap();
        if factor.credential_id.is_some()
            && factors
                .iter()
                .any(|other| other.credential_id == factor.credential_id)
        {
            return Err(StoreError::Conflict("credential id".to_owned()));
        }
        factors.push(factor.clone());
        Ok(())
    }
    async fn factors(&self, account: AccountId) -> Result<Vec<EnrolledFactor>, StoreError> {
        Ok(self
            .factors
            .lock()
            .unwrap()
            .iter()
            .filter(|factor| factor.account_id == account)
            .cloned()
            .collect())
    }
    async fn factor(&self, id: FactorId) -> Result<Option<EnrolledFactor>, StoreError> {
        Ok(self
            .factors
            .lock()
            .unwrap()
            .iter()
            .find(|factor| factor.id == id)
            .cloned())
    }
    async fn confirm_factor(
        &self,
        _id: FactorId,
        _at: DateTime<Utc>,
        _events: &[crate::AuditEvent],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn remove_factor(
        &self,
        _account: AccountId,
        _id: FactorId,
        _events: &[crate::AuditEvent],
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn rename_factor(
        &self,
        _account: AccountId,
        _id: FactorId,
        _label: &str,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn advance_totp_step(
        &self,
        _id: FactorId,
        _step: u64,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn update_public_data(
        &self,
        _id: FactorId,
        _public_data: &str,
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn touch_factor(&self, _id: FactorId, _at: DateTime<Utc>) -> Result<(), StoreError> {
        Ok(())
    }
    async fn replace_recovery_codes(
        &self,
        _account: AccountId,
        _digests: &[String],
        _at: DateTime<Utc>,
        _events: &[crate::AuditEvent],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn consume_recovery_code(
        &self,
        _account: AccountId,
        _digest: &str,
        _at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn recovery_codes_left(&self, _account: AccountId) -> Result<usize, StoreError> {
        Ok(0)
    }
}

/// Challenges, profiles and messages play no part here.
struct Unused;

#[async_trait]
impl ChallengeStore for Unused {
    async fn put_challenge(&self, _challenge: &CodeChallenge) -> Result<(), StoreError> {
        Ok(())
    }
    async fn current_challenge(
        &self,
        _account: AccountId,
        _purpose: &str,
    ) -> Result<Option<CodeChallenge>, StoreError> {
        Ok(None)
    }
    async fn attempt_challenge(
        &self,
        _account: AccountId,
        _purpose: &str,
        _code_digest: &str,
        _now: DateTime<Utc>,
    ) -> Result<ChallengeAttempt, StoreError> {
        Ok(ChallengeAttempt::Unknown)
    }
    async fn purge_expired_challenges(&self, _before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(0)
    }
}

#[async_trait]
impl ProfileStore for Unused {
    async fn accepted_terms(&self, _account: AccountId) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    async fn accept_terms(
        &self,
        _account: AccountId,
        _version: &str,
        _at: DateTime<Utc>,
        _events: &[crate::AuditEvent],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn set_verified_email(
        &self,
        _account: AccountId,
        _email: &str,
        _at: DateTime<Utc>,
        _events: &[crate::AuditEvent],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn set_verified_phone(
        &self,
        _account: AccountId,
        _phone: &str,
        _at: DateTime<Utc>,
        _events: &[crate::AuditEvent],
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn set_card_serial_sealed(
        &self,
        _account: AccountId,
        _sealed: &[u8],
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(())
    }
    async fn card_serial_sealed(&self, _account: AccountId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(None)
    }
}

#[async_trait]
impl Notifier for Unused {
    async fn send(&self, _message: &OutboundMessage) -> Result<(), NotifyError> {
        Ok(())
    }
}

const ORIGIN: &str = "https://login.example.de";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A stored credential in the form `pforte-factors` writes; nothing here
/// checks a signature with its key.
fn stored_credential(id: &[u8]) -> String {
    json!({
        "cred": {
            "cred_id": b64(id),
            "cred": {
                "type_": "ES256",
                "key": {"EC_EC2": {"curve": "SECP256R1", "x": b64(&[1u8; 32]), "y": b64(&[2u8; 32])}}
            },
            "counter": 0,
            "transports": null,
            "user_verified": true,
            "backup_eligible": false,
            "backup_state": false,
            "registration_policy": "preferred",
            "extensions": {},
            "attestation": {"data": "None", "metadata": "None"},
            "attestation_format": "none"
        }
    })
    .to_string()
}

/// A well-formed assertion by `credential` that answers `challenge`, with a
/// signature that proves nothing.
fn assertion(credential: &[u8], challenge: &str) -> String {
    let client_data = json!({
        "type": "webauthn.get",
        "challenge": challenge,
        "origin": ORIGIN,
    })
    .to_string();
    json!({
        "id": b64(credential),
        "rawId": b64(credential),
        "type": "public-key",
        "response": {
            "authenticatorData": b64(&[0u8; 37]),
            "clientDataJSON": b64(client_data.as_bytes()),
            "signature": b64(b"not a signature"),
            "userHandle": null,
        },
    })
    .to_string()
}

struct Setup {
    fixture: Fixture,
    factors: Arc<FakeFactors>,
}

async fn setup() -> Setup {
    let Fixture {
        service,
        accounts,
        sessions,
        clock,
        alice,
        guard,
    } = fixture().await;
    let factors = Arc::new(FakeFactors::default());
    let master = MasterKey::generate();
    let rp = pforte_factors::webauthn::WebauthnFactor::new("login.example.de", ORIGIN, "Pforte")
        .unwrap();
    let service = service.with_factors(FactorKit {
        factors: factors.clone(),
        challenges: Arc::new(Unused),
        profiles: Arc::new(Unused),
        notifier: Arc::new(Unused),
        codes: CodeDigester::from_master(&master),
        master: Arc::new(master),
        totp_issuer: "Pforte".to_owned(),
        webauthn: Some(Arc::new(rp)),
    });
    factors
        .insert_factor(
            &EnrolledFactor {
                id: FactorId::new(),
                account_id: alice,
                method: Method::Webauthn,
                label: "YubiKey".to_owned(),
                secret_sealed: None,
                public_data: Some(stored_credential(b"alice-key")),
                credential_id: Some(b64(b"alice-key")),
                confirmed: true,
                last_totp_step: None,
                created_at: clock.now(),
                last_used_at: None,
            },
            &[],
        )
        .await
        .unwrap();
    Setup {
        fixture: Fixture {
            service,
            accounts,
            sessions,
            clock,
            alice,
            guard,
        },
        factors,
    }
}

fn txn_of(setup: &Setup) -> LoginTxn {
    let mut txn = LoginTxn::fresh(setup.fixture.clock.now());
    txn.account_id = Some(setup.fixture.alice);
    txn.username = "alice".to_owned();
    txn
}

fn challenge_of(options: &Value) -> String {
    options["publicKey"]["challenge"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn failures_in_audit(setup: &Setup) -> Vec<String> {
    setup
        .fixture
        .guard
        .audit
        .lock()
        .unwrap()
        .iter()
        .filter(|event| event.kind == AuditKind::FactorFailed)
        .map(|event| event.detail.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn r_mf_1_webauthn_login_allows_the_accounts_keys_and_keeps_the_state_in_the_txn() {
    let setup = setup().await;
    let mut txn = txn_of(&setup);
    let options = setup
        .fixture
        .service
        .begin_webauthn_login(&mut txn)
        .await
        .unwrap();
    assert_eq!(
        options["publicKey"]["allowCredentials"][0]["id"],
        b64(b"alice-key")
    );
    assert_eq!(options["publicKey"]["userVerification"], "preferred");
    let state = txn.webauthn_state.clone().unwrap();
    // The state stays on the server: the options do not contain it.
    assert!(!options.to_string().contains(&state));
    assert_eq!(txn.chosen, Some(Method::Webauthn));
}

#[tokio::test]
async fn r_mf_1_webauthn_registration_excludes_the_accounts_keys_under_its_uuid() {
    let setup = setup().await;
    let mut txn = txn_of(&setup);
    let ceremony = setup
        .fixture
        .service
        .begin_webauthn_registration(setup.fixture.alice, Some(&mut txn))
        .await
        .unwrap();
    let public_key = &ceremony.options["publicKey"];
    assert_eq!(public_key["excludeCredentials"][0]["id"], b64(b"alice-key"));
    assert_eq!(
        public_key["user"]["id"],
        b64(setup.fixture.alice.0.as_bytes())
    );
    assert_eq!(txn.webauthn_state.as_deref(), Some(ceremony.state.as_str()));
    // Self-service: no transaction, the caller keeps the state.
    let own = setup
        .fixture
        .service
        .begin_webauthn_registration(setup.fixture.alice, None)
        .await
        .unwrap();
    assert_ne!(own.state, ceremony.state);
}

#[tokio::test]
async fn r_mf_1_webauthn_without_a_pending_ceremony_is_expired_and_not_counted() {
    let setup = setup().await;
    let mut txn = txn_of(&setup);
    let error = setup
        .fixture
        .service
        .finish_webauthn_login(
            &mut txn,
            FactorClass::HardwareKey,
            &assertion(b"alice-key", "x"),
            &RequestContext::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, IdentityError::SecurityKeyExpired),
        "{error}"
    );
    assert_eq!(txn.factor_failures, 0);
    assert!(txn.evidence.is_empty());
}

#[tokio::test]
async fn r_mf_1_webauthn_answer_to_another_ceremony_is_refused_counted_and_the_state_used_once() {
    let setup = setup().await;
    let service = &setup.fixture.service;
    let mut ours = txn_of(&setup);
    let mut other = txn_of(&setup);
    service.begin_webauthn_login(&mut ours).await.unwrap();
    let other_options = service.begin_webauthn_login(&mut other).await.unwrap();
    let foreign = assertion(b"alice-key", &challenge_of(&other_options));
    let context = RequestContext::default();
    let error = service
        .finish_webauthn_login(&mut ours, FactorClass::HardwareKey, &foreign, &context)
        .await
        .unwrap_err();
    assert!(
        matches!(error, IdentityError::SecurityKeyRejected),
        "{error}"
    );
    assert_eq!(ours.factor_failures, 1);
    assert!(ours.evidence.is_empty());
    assert_eq!(ours.webauthn_state, None, "a state answers once");
    let failures = failures_in_audit(&setup);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].starts_with("method=webauthn rejected"),
        "{failures:?}"
    );
    // The same answer again finds no ceremony.
    let again = service
        .finish_webauthn_login(&mut ours, FactorClass::HardwareKey, &foreign, &context)
        .await
        .unwrap_err();
    assert!(matches!(again, IdentityError::SecurityKeyExpired));
    // A key the account does not have.
    service.begin_webauthn_login(&mut ours).await.unwrap();
    let stranger = assertion(b"someone-else", "x");
    let error = service
        .finish_webauthn_login(&mut ours, FactorClass::HardwareKey, &stranger, &context)
        .await
        .unwrap_err();
    assert!(matches!(error, IdentityError::SecurityKeyRejected));
    assert!(failures_in_audit(&setup)[1].contains("unknown_credential"));
}

#[tokio::test]
async fn r_mf_1_webauthn_failures_end_the_login_at_the_limit() {
    let setup = setup().await;
    let service = &setup.fixture.service;
    let mut txn = txn_of(&setup);
    let context = RequestContext::default();
    let mut last = None;
    for _ in 0..MAX_FACTOR_FAILURES {
        service.begin_webauthn_login(&mut txn).await.unwrap();
        last = service
            .finish_webauthn_login(&mut txn, FactorClass::HardwareKey, "{}", &context)
            .await
            .err();
    }
    assert!(
        matches!(last, Some(IdentityError::TooManyAttempts)),
        "{last:?}"
    );
}

#[tokio::test]
async fn r_mf_1_webauthn_registration_state_does_not_prove_a_login() {
    let setup = setup().await;
    let service = &setup.fixture.service;
    let mut txn = txn_of(&setup);
    service
        .begin_webauthn_registration(setup.fixture.alice, Some(&mut txn))
        .await
        .unwrap();
    let error = service
        .finish_webauthn_login(
            &mut txn,
            FactorClass::HardwareKey,
            &assertion(b"alice-key", "x"),
            &RequestContext::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, IdentityError::SecurityKeyExpired),
        "{error}"
    );
    // And a login state does not finish a registration.
    service.begin_webauthn_login(&mut txn).await.unwrap();
    let state = txn.webauthn_state.clone().unwrap();
    let error = service
        .finish_webauthn_registration(
            setup.fixture.alice,
            &state,
            "{}",
            "",
            None,
            &RequestContext::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, IdentityError::SecurityKeyExpired),
        "{error}"
    );
    assert_eq!(setup.factors.factors.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn r_mf_1_webauthn_registration_checks_the_name_before_the_answer() {
    let setup = setup().await;
    let service = &setup.fixture.service;
    let ceremony = service
        .begin_webauthn_registration(setup.fixture.alice, None)
        .await
        .unwrap();
    let error = service
        .finish_webauthn_registration(
            setup.fixture.alice,
            &ceremony.state,
            "{}",
            &"x".repeat(crate::enrol::MAX_LABEL_CHARS + 1),
            None,
            &RequestContext::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, IdentityError::InvalidLabel), "{error}");
    let error = service
        .finish_webauthn_registration(
            setup.fixture.alice,
            &ceremony.state,
            "{\"id\": 1}",
            "",
            None,
            &RequestContext::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, IdentityError::SecurityKeyRejected),
        "{error}"
    );
}

#[tokio::test]
async fn r_mf_1_passkey_signin_only_when_the_policy_allows_it() {
    let setup = setup().await;
    let mut txn = LoginTxn::fresh(setup.fixture.clock.now());
    assert!(!setup.fixture.service.passwordless_available());
    assert!(matches!(
        setup.fixture.service.begin_passkey_signin(&mut txn),
        Err(IdentityError::NotConfigured)
    ));
    assert!(matches!(
        setup
            .fixture
            .service
            .finish_passkey_signin(&mut txn, "{}", &RequestContext::default())
            .await,
        Err(IdentityError::NotConfigured)
    ));
    assert_eq!(txn.account_id, None);
}

#[tokio::test]
async fn r_mf_1_passkey_registration_asks_for_a_discoverable_credential_when_passwordless() {
    let setup = setup().await;
    let account = setup.fixture.alice;
    let default = setup
        .fixture
        .service
        .begin_webauthn_registration(account, None)
        .await
        .unwrap();
    let selection = &default.options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "discouraged");
    assert_eq!(selection["userVerification"], "preferred");

    let mut policy = pforte_policy::ResolvedPolicy::default();
    policy.assurance.passwordless = true;
    let guard = setup.fixture.guard.clone();
    let service = setup
        .fixture
        .service
        .with_login_guard(crate::service::LoginGuard {
            policy: Arc::new(policy),
            lockout: guard.clone(),
            credentials: guard,
        });
    let passwordless = service
        .begin_webauthn_registration(account, None)
        .await
        .unwrap();
    let selection = &passwordless.options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "preferred");
    assert_eq!(selection["requireResidentKey"], false);
    assert_eq!(selection["userVerification"], "required");
}
