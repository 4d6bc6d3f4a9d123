//! WebAuthn credentials (passkeys and security keys) as a factor: registered
//! during a login or in self-service, proven as a second factor, and, when
//! the policy allows it, used to sign in without a user name (R-MF-1, R-AC-1
//! `hardware_key`; docs/adr/0005-second-factors.md, section "WebAuthn").
//!
//! The ceremony mechanics are `pforte_factors::webauthn`. This module adds
//! what needs the account: the user handle (the account's UUID, no personal
//! data), the credentials to exclude or allow, storage, evidence and audit.
//!
//! Ceremony state is never handed to the browser (W3C WebAuthn Level 3
//! §13.4.3): in a login it lives in [`LoginTxn::webauthn_state`], which the
//! web layer keeps with the interaction in the ephemeral store; in
//! self-service the caller keeps the returned state server-side. Every
//! `finish_*` consumes the state: the transaction's state is taken out
//! before anything is verified, so a challenge answers at most once.

use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::enrol::clean_label;
use crate::factor::{EnrolledFactor, FactorId};
use crate::flow::LoginTxn;
use crate::service::{IdentityError, IdentityService};
use pforte_factors::webauthn::{
    UserVerification, WebauthnFactor, WebauthnFactorError, credential_user_verified,
};
use pforte_types::{AccountId, FactorClass, Method, StoreError};
use serde_json::Value;

/// The name of a registered authenticator when the user gives none.
pub const DEFAULT_LABEL: &str = "Passkey";

/// A ceremony just started: the options for `navigator.credentials` and the
/// state to keep server-side until the browser answers.
#[derive(Debug, Clone, PartialEq)]
pub struct WebauthnCeremony {
    /// `{"publicKey": …}` (and `mediation` for a discoverable sign-in).
    pub options: Value,
    /// Opaque; must stay on the server and be used once.
    pub state: String,
}

/// The short reason of a failed ceremony for the audit trail.
fn reason(error: &WebauthnFactorError) -> String {
    match error {
        WebauthnFactorError::Response => "unreadable_response".to_owned(),
        WebauthnFactorError::UnknownCredential => "unknown_credential".to_owned(),
        WebauthnFactorError::Credential => "unreadable_stored_credential".to_owned(),
        WebauthnFactorError::Rejected(detail) => format!("rejected ({detail})"),
        WebauthnFactorError::State => "unknown_state".to_owned(),
        WebauthnFactorError::Configuration(detail) => format!("configuration ({detail})"),
    }
}

impl IdentityService {
    /// The relying party; without one (no kit, or an issuer that cannot be
    /// an RP id) WebAuthn is refused.
    fn relying_party(&self) -> Result<&WebauthnFactor, IdentityError> {
        self.kit()?
            .webauthn
            .as_deref()
            .ok_or(IdentityError::NotConfigured)
    }

    /// Whether WebAuthn can be used at all on this provider.
    pub fn webauthn_available(&self) -> bool {
        self.relying_party().is_ok()
    }

    /// Whether the policy lets a passkey start a login without a password
    /// (`assurance.passwordless`) and WebAuthn is available.
    pub fn passwordless_available(&self) -> bool {
        self.assurance().passwordless && self.webauthn_available()
    }

    /// The account's confirmed WebAuthn factors with their credentials.
    async fn webauthn_factors(
        &self,
        account: AccountId,
    ) -> Result<Vec<(EnrolledFactor, String)>, IdentityError> {
        Ok(self
            .confirmed(account, Method::Webauthn)
            .await?
            .into_iter()
            .filter_map(|factor| {
                let json = factor.public_data.clone()?;
                Some((factor, json))
            })
            .collect())
    }

    /// Begins registering an authenticator for `account`. The account's
    /// credentials are excluded, so one authenticator is not registered
    /// twice. User verification is required when the policy allows
    /// passwordless sign-in (such a credential may later sign in alone),
    /// else only preferred, so that security keys without a PIN work. In a
    /// login, the state is kept in `txn`; in self-service the caller keeps
    /// the returned state.
    pub async fn begin_webauthn_registration(
        &self,
        account: AccountId,
        txn: Option<&mut LoginTxn>,
    ) -> Result<WebauthnCeremony, IdentityError> {
        let rp = self.relying_party()?;
        let record = self
            .accounts
            .get_account(account)
            .await?
            .ok_or(IdentityError::UnknownAccount(account.to_string()))?;
        let display_name = match (&record.given_name, &record.family_name) {
            (Some(given), Some(family)) => format!("{given} {family}"),
            _ => record.username.clone(),
        };
        let exclude: Vec<String> = self
            .webauthn_factors(account)
            .await?
            .into_iter()
            .map(|(_, json)| json)
            .collect();
        let verification = if self.assurance().passwordless {
            UserVerification::Required
        } else {
            UserVerification::Preferred
        };
        let (mut options, state) = rp
            .start_registration(
                account.0,
                &record.username,
                &display_name,
                &exclude,
                verification,
            )
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        if self.assurance().passwordless {
            prefer_discoverable(&mut options);
        }
        if let Some(txn) = txn {
            txn.webauthn_state = Some(state.clone());
            txn.chosen = Some(Method::Webauthn);
        }
        Ok(WebauthnCeremony { options, state })
    }

    /// Completes a registration with the browser's answer and stores the
    /// credential as a confirmed factor (audited `factor_enrolled`). An
    /// authenticator already registered, to any account, is refused
    /// ([`IdentityError::SecurityKeyTaken`]). In a login, `txn` also records
    /// the factor as evidence of the class asked for (the registration
    /// proved possession of the authenticator). An empty `label` becomes
    /// [`DEFAULT_LABEL`].
    pub async fn finish_webauthn_registration(
        &self,
        account: AccountId,
        state: &str,
        response_json: &str,
        label: &str,
        txn: Option<(&mut LoginTxn, FactorClass)>,
        context: &RequestContext,
    ) -> Result<FactorId, IdentityError> {
        let rp = self.relying_party()?;
        let label = if label.trim().is_empty() {
            DEFAULT_LABEL
        } else {
            clean_label(label)?
        };
        let username = self.username_of(account).await?;
        let now = self.clock.now();
        let registered = match rp.finish_registration(state, response_json) {
            Ok(registered) => registered,
            Err(WebauthnFactorError::State) => return Err(IdentityError::SecurityKeyExpired),
            Err(error) => {
                let event = AuditEvent::new(
                    AuditKind::FactorFailed,
                    now,
                    Some(account),
                    &username,
                    context,
                )
                .with_detail(format!("method=webauthn enrolment {}", reason(&error)));
                self.guard()?.lockout.append_audit(&[event]).await?;
                return Err(IdentityError::SecurityKeyRejected);
            }
        };
        let id = FactorId::new();
        let factor = EnrolledFactor {
            id,
            account_id: account,
            method: Method::Webauthn,
            label: label.to_owned(),
            secret_sealed: None,
            public_data: Some(registered.credential_json),
            credential_id: Some(registered.credential_id),
            confirmed: true,
            last_totp_step: None,
            created_at: now,
            last_used_at: Some(now),
        };
        let event = AuditEvent::new(
            AuditKind::FactorEnrolled,
            now,
            Some(account),
            &username,
            context,
        )
        .with_detail(format!(
            "method=webauthn factor={id} user_verified={} backup_eligible={}",
            registered.user_verified, registered.backup_eligible
        ));
        match self.kit()?.factors.insert_factor(&factor, &[event]).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(IdentityError::SecurityKeyTaken),
            Err(other) => return Err(other.into()),
        }
        if let Some((txn, class)) = txn {
            let class = self
                .assurance()
                .class_of(Method::Webauthn, Some(class))
                .unwrap_or(class);
            txn.prove(pforte_types::Evidence {
                method: Method::Webauthn,
                class,
                at: now,
            });
            txn.enrolling = None;
        }
        Ok(id)
    }

    /// Begins proving the transaction's account's authenticator as a second
    /// factor: any of its credentials is allowed, user verification is
    /// preferred (the password was the knowledge factor). The state is kept
    /// in `txn`; the options are returned for the browser.
    pub async fn begin_webauthn_login(&self, txn: &mut LoginTxn) -> Result<Value, IdentityError> {
        let rp = self.relying_party()?;
        let account = txn.account_id.ok_or(IdentityError::InvalidCredentials)?;
        let credentials: Vec<String> = self
            .webauthn_factors(account)
            .await?
            .into_iter()
            .map(|(_, json)| json)
            .collect();
        let (options, state) = rp
            .start_authentication(&credentials, UserVerification::Preferred)
            .map_err(|error| match error {
                WebauthnFactorError::UnknownCredential => IdentityError::NoSuchFactor,
                other => IdentityError::Sealing(other.to_string()),
            })?;
        txn.webauthn_state = Some(state);
        txn.chosen = Some(Method::Webauthn);
        Ok(options)
    }

    /// Completes a second-factor proof with the browser's answer: evidence
    /// of `class` on success (audited `factor_verified`), a counted failure
    /// otherwise (audited `factor_failed` with the precise reason; past
    /// the limit the login is over, as with wrong codes). The pending state
    /// is consumed either way; the credential is stored again when its
    /// counter or backup state moved.
    pub async fn finish_webauthn_login(
        &self,
        txn: &mut LoginTxn,
        class: FactorClass,
        response_json: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let rp = self.relying_party()?;
        let state = txn
            .webauthn_state
            .take()
            .ok_or(IdentityError::SecurityKeyExpired)?;
        let account = txn.account_id.ok_or(IdentityError::InvalidCredentials)?;
        let factors = self.webauthn_factors(account).await?;
        let mut credentials: Vec<String> = factors.iter().map(|(_, json)| json.clone()).collect();
        match rp.finish_authentication(&state, response_json, &mut credentials) {
            Ok(outcome) => {
                self.store_used(&factors, &credentials, outcome.index, outcome.updated)
                    .await?;
                self.factor_proven(txn, Method::Webauthn, class, context)
                    .await
            }
            Err(WebauthnFactorError::State) => Err(IdentityError::SecurityKeyExpired),
            Err(error) => Err(self.webauthn_failed(txn, &error, context).await?),
        }
    }

    /// Begins a passkey sign-in without a user name (policy
    /// `assurance.passwordless`): the browser offers the user's discoverable
    /// credentials; user verification is required. The state is kept in
    /// `txn`.
    pub fn begin_passkey_signin(&self, txn: &mut LoginTxn) -> Result<Value, IdentityError> {
        if !self.assurance().passwordless {
            return Err(IdentityError::NotConfigured);
        }
        let (options, state) = self
            .relying_party()?
            .start_discoverable_authentication()
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        txn.webauthn_state = Some(state);
        Ok(options)
    }

    /// Completes a passkey sign-in: the answer names the account (its user
    /// handle), and only that account's credentials registered *with* user
    /// verification are accepted, with user verification now. The
    /// transaction then belongs to the account and holds WebAuthn evidence
    /// of the `hardware_key` class; the planner asks for whatever else the
    /// level needs, and refuses a locked or deactivated account as after a
    /// password. A transaction that already belongs to another account is
    /// refused ([`IdentityError::WrongAccount`]).
    pub async fn finish_passkey_signin(
        &self,
        txn: &mut LoginTxn,
        response_json: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        if !self.assurance().passwordless {
            return Err(IdentityError::NotConfigured);
        }
        let rp = self.relying_party()?;
        let state = txn
            .webauthn_state
            .take()
            .ok_or(IdentityError::SecurityKeyExpired)?;
        let (user, _) = match rp.identify_discoverable(response_json) {
            Ok(identified) => identified,
            Err(error) => return Err(self.webauthn_failed(txn, &error, context).await?),
        };
        let account_id = AccountId(user);
        if txn.account_id.is_some_and(|owner| owner != account_id) {
            return Err(IdentityError::WrongAccount);
        }
        let Some(account) = self.accounts.get_account(account_id).await? else {
            let error = WebauthnFactorError::UnknownCredential;
            return Err(self.webauthn_failed(txn, &error, context).await?);
        };
        let factors: Vec<(EnrolledFactor, String)> = self
            .webauthn_factors(account_id)
            .await?
            .into_iter()
            .filter(|(_, json)| credential_user_verified(json).unwrap_or(false))
            .collect();
        let mut credentials: Vec<String> = factors.iter().map(|(_, json)| json.clone()).collect();
        // From here on the failures are the account's.
        txn.account_id = Some(account_id);
        txn.username = account.username.clone();
        let outcome = match rp.finish_authentication(&state, response_json, &mut credentials) {
            Ok(outcome) if outcome.user_verified => outcome,
            Ok(_) => {
                let error = WebauthnFactorError::Rejected("user not verified".to_owned());
                return Err(self.webauthn_failed(txn, &error, context).await?);
            }
            Err(WebauthnFactorError::State) => return Err(IdentityError::SecurityKeyExpired),
            Err(error) => return Err(self.webauthn_failed(txn, &error, context).await?),
        };
        self.store_used(&factors, &credentials, outcome.index, outcome.updated)
            .await?;
        self.factor_proven(txn, Method::Webauthn, FactorClass::HardwareKey, context)
            .await
    }

    /// Stores the used credential again when it changed, else marks it used.
    async fn store_used(
        &self,
        factors: &[(EnrolledFactor, String)],
        credentials: &[String],
        index: usize,
        updated: bool,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let now = self.clock.now();
        let (Some((factor, _)), Some(json)) = (factors.get(index), credentials.get(index)) else {
            return Err(IdentityError::NoSuchFactor);
        };
        if updated {
            kit.factors.update_public_data(factor.id, json, now).await?;
        } else {
            kit.factors.touch_factor(factor.id, now).await?;
        }
        Ok(())
    }

    /// Counts a failed ceremony like a wrong code: the user sees one
    /// message, the audit trail the reason.
    async fn webauthn_failed(
        &self,
        txn: &mut LoginTxn,
        error: &WebauthnFactorError,
        context: &RequestContext,
    ) -> Result<IdentityError, IdentityError> {
        Ok(
            match self
                .factor_failed(txn, Method::Webauthn, &reason(error), context)
                .await?
            {
                IdentityError::TooManyAttempts => IdentityError::TooManyAttempts,
                _ => IdentityError::SecurityKeyRejected,
            },
        )
    }
}

/// Asks the authenticator to store the credential on itself (a discoverable
/// credential, WebAuthn §6.2.2 `residentKey`): passkey sign-in from the login
/// page finds the account only through such a credential's user handle. The
/// ceremony library asks for the opposite ("discouraged") and does not check
/// the answer, so the option is only rewritten. "preferred", not "required":
/// a security key without room for it still registers and serves as second
/// factor.
fn prefer_discoverable(options: &mut Value) {
    if let Some(selection) = options
        .get_mut("publicKey")
        .and_then(|public_key| public_key.get_mut("authenticatorSelection"))
        .and_then(Value::as_object_mut)
    {
        selection.insert("residentKey".to_owned(), Value::from("preferred"));
        selection.insert("requireResidentKey".to_owned(), Value::from(false));
    }
}

#[cfg(test)]
#[path = "webauthn_tests.rs"]
mod tests;
