//! Proving a second factor during a login or step-up (R-MF-1, R-MF-3): TOTP,
//! one-time codes by SMS or e-mail, recovery codes. Each success becomes
//! evidence of the class it was asked for; each failure is counted in the
//! transaction and written to the audit trail with its precise reason,
//! while the user sees one message.

use super::txn::{LoginTxn, MAX_FACTOR_FAILURES};
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::factor::{
    ChallengeAttempt, Channel, CodeChallenge, EnrolledFactor, OutboundMessage, seal_context,
};
use crate::service::{IdentityError, IdentityService};
use chrono::{DateTime, Utc};
use pforte_factors::code::{generate_numeric, normalise_digits};
use pforte_factors::totp::{TotpParams, TotpSecret};
use pforte_types::{AccountId, Evidence, FactorClass, Method};
use std::collections::BTreeMap;

/// Where a one-time code went, for the "code sent to …" page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    /// The masked destination ("+49 ••• ••• 78", "e••••@example.de").
    pub destination: String,
    /// When the next code may be requested (R-MF-3: resend throttled).
    pub resend_at: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

impl IdentityService {
    fn account_of(txn: &LoginTxn) -> Result<AccountId, IdentityError> {
        txn.account_id.ok_or(IdentityError::InvalidCredentials)
    }

    /// Counts a wrong entry; past the limit the login is over.
    pub(crate) async fn factor_failed(
        &self,
        txn: &mut LoginTxn,
        method: Method,
        reason: &str,
        context: &RequestContext,
    ) -> Result<IdentityError, IdentityError> {
        txn.factor_failures = txn.factor_failures.saturating_add(1);
        let now = self.clock.now();
        let event = AuditEvent::new(
            AuditKind::FactorFailed,
            now,
            txn.account_id,
            &txn.username,
            context,
        )
        .with_detail(format!(
            "method={method} {reason} failures={}",
            txn.factor_failures
        ));
        self.guard()?.lockout.append_audit(&[event]).await?;
        Ok(if txn.factor_failures >= MAX_FACTOR_FAILURES {
            IdentityError::TooManyAttempts
        } else {
            IdentityError::WrongCode
        })
    }

    pub(crate) async fn factor_proven(
        &self,
        txn: &mut LoginTxn,
        method: Method,
        class: FactorClass,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let class = self
            .assurance()
            .class_of(method, Some(class))
            .unwrap_or(class);
        txn.prove(Evidence {
            method,
            class,
            at: now,
        });
        let event = AuditEvent::new(
            AuditKind::FactorVerified,
            now,
            txn.account_id,
            &txn.username,
            context,
        )
        .with_detail(format!("method={method} class={class}"));
        self.guard()?.lockout.append_audit(&[event]).await?;
        Ok(())
    }

    /// The confirmed factors of `method` of the transaction's account.
    pub(crate) async fn confirmed(
        &self,
        account: AccountId,
        method: Method,
    ) -> Result<Vec<EnrolledFactor>, IdentityError> {
        Ok(self
            .kit()?
            .factors
            .factors(account)
            .await?
            .into_iter()
            .filter(|factor| factor.confirmed && factor.method == method)
            .collect())
    }

    /// Opens a factor's sealed secret (R-OP-4).
    pub(crate) fn unseal(&self, factor: &EnrolledFactor) -> Result<Vec<u8>, IdentityError> {
        let sealed = factor
            .secret_sealed
            .as_deref()
            .ok_or(IdentityError::NoSuchFactor)?;
        self.kit()?
            .master
            .decrypt(sealed, seal_context(factor.id).as_bytes())
            .map_err(|error| IdentityError::Sealing(error.to_string()))
    }

    /// Checks a TOTP code against the account's authenticator apps (RFC 6238,
    /// ±1 step) and stores the matched step atomically, so a code is never
    /// accepted twice, also not by two nodes at once (R-MF-3).
    pub async fn prove_totp(
        &self,
        txn: &mut LoginTxn,
        class: FactorClass,
        code: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let account = Self::account_of(txn)?;
        let now = self.clock.now();
        let params = TotpParams::default();
        let mut reason = "wrong_code";
        for factor in self.confirmed(account, Method::Totp).await? {
            let secret = TotpSecret::from_bytes(&self.unseal(&factor)?)
                .map_err(|error| IdentityError::Sealing(error.to_string()))?;
            match params.verify(&secret, code, now, factor.last_totp_step) {
                Ok(step) => {
                    if self
                        .kit()?
                        .factors
                        .advance_totp_step(factor.id, step, now)
                        .await?
                    {
                        return self.factor_proven(txn, Method::Totp, class, context).await;
                    }
                    reason = "replayed_code";
                }
                Err(pforte_factors::totp::TotpError::Replayed) => reason = "replayed_code",
                Err(pforte_factors::totp::TotpError::Malformed { .. }) => reason = "malformed_code",
                Err(_) => {}
            }
        }
        Err(self
            .factor_failed(txn, Method::Totp, reason, context)
            .await?)
    }

    /// Sends a one-time code by SMS or e-mail for this login (R-MF-3, R-MF-4):
    /// `length` digits from the policy, valid for its validity, bound to the
    /// transaction; a new code voids the previous one, and codes are not
    /// sent more often than the policy's resend interval.
    pub async fn send_login_code(
        &self,
        txn: &LoginTxn,
        method: Method,
        language: &str,
        context: &RequestContext,
    ) -> Result<CodeSent, IdentityError> {
        let account = Self::account_of(txn)?;
        let factor = self
            .confirmed(account, method)
            .await?
            .into_iter()
            .next()
            .ok_or(IdentityError::NoSuchFactor)?;
        self.send_code(
            account,
            &txn.username,
            &factor,
            &txn.code_purpose(),
            "login_code",
            language,
            context,
        )
        .await
    }

    /// The code of this login already on its way by `method`, if any: the
    /// page that asks for it names where it went.
    pub async fn pending_login_code(
        &self,
        txn: &LoginTxn,
        method: Method,
    ) -> Result<Option<CodeSent>, IdentityError> {
        let account = Self::account_of(txn)?;
        let kit = self.kit()?;
        let Some(challenge) = kit
            .challenges
            .current_challenge(account, &txn.code_purpose())
            .await?
            .filter(|challenge| challenge.method == method)
        else {
            return Ok(None);
        };
        let Some(factor_id) = challenge.factor_id else {
            return Ok(None);
        };
        Ok(kit.factors.factor(factor_id).await?.map(|factor| CodeSent {
            destination: factor.label,
            resend_at: challenge.sent_at + self.assurance().otp.resend_after,
            valid_until: challenge.expires_at,
        }))
    }

    /// Sends a code to a factor's destination under `purpose` (shared by
    /// login and enrolment).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_code(
        &self,
        account: AccountId,
        username: &str,
        factor: &EnrolledFactor,
        purpose: &str,
        template: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<CodeSent, IdentityError> {
        let kit = self.kit()?;
        let otp = self.assurance().otp;
        let now = self.clock.now();
        if let Some(previous) = kit.challenges.current_challenge(account, purpose).await?
            && previous.expires_at > now
        {
            let resend_at = previous.sent_at + otp.resend_after;
            if resend_at > now {
                return Err(IdentityError::ResendTooSoon { resend_at });
            }
        }
        let channel = match factor.method {
            Method::SmsTan => Channel::Sms,
            Method::EmailCode => Channel::Email,
            _ => return Err(IdentityError::NoSuchFactor),
        };
        let destination = String::from_utf8(self.unseal(factor)?)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let code = generate_numeric(otp.length);
        let valid_until = now + otp.validity;
        let challenge = CodeChallenge {
            id: pforte_crypto::random::random_token(),
            account_id: account,
            purpose: purpose.to_owned(),
            method: factor.method,
            factor_id: Some(factor.id),
            code_digest: kit.codes.digest(purpose, &code),
            sent_at: now,
            expires_at: valid_until,
            attempts_left: otp.max_attempts,
        };
        kit.challenges.put_challenge(&challenge).await?;
        let mut params = BTreeMap::new();
        params.insert("code".to_owned(), code);
        params.insert(
            "valid_minutes".to_owned(),
            otp.validity.num_minutes().max(1).to_string(),
        );
        let message = OutboundMessage {
            id: uuid::Uuid::now_v7(),
            channel,
            to: destination,
            template: template.to_owned(),
            language: language.to_owned(),
            params,
            account_id: Some(account),
            created_at: now,
        };
        kit.notifier
            .send(&message)
            .await
            .map_err(|error| IdentityError::Delivery(error.to_string()))?;
        let event = AuditEvent::new(AuditKind::CodeSent, now, Some(account), username, context)
            .with_detail(format!(
                "method={} purpose={} to={}",
                factor.method,
                purpose.split(':').next().unwrap_or_default(),
                factor.label
            ));
        self.guard()?.lockout.append_audit(&[event]).await?;
        Ok(CodeSent {
            destination: factor.label.clone(),
            resend_at: now + otp.resend_after,
            valid_until,
        })
    }

    /// Checks an entered SMS or e-mail code of this login: the store decides
    /// atomically, so attempts are exact across nodes (R-MF-3).
    pub async fn prove_code(
        &self,
        txn: &mut LoginTxn,
        class: FactorClass,
        method: Method,
        code: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let account = Self::account_of(txn)?;
        let purpose = txn.code_purpose();
        match self.check_code(account, &purpose, code).await? {
            ChallengeAttempt::Matched => self.factor_proven(txn, method, class, context).await,
            other => {
                let reason = attempt_reason(other);
                let error = self.factor_failed(txn, method, &reason, context).await?;
                Err(match other {
                    ChallengeAttempt::Expired
                    | ChallengeAttempt::Exhausted
                    | ChallengeAttempt::Unknown
                        if !matches!(error, IdentityError::TooManyAttempts) =>
                    {
                        IdentityError::CodeExpired
                    }
                    _ => error,
                })
            }
        }
    }

    /// Normalises and checks a code under `purpose`.
    pub(crate) async fn check_code(
        &self,
        account: AccountId,
        purpose: &str,
        code: &str,
    ) -> Result<ChallengeAttempt, IdentityError> {
        let kit = self.kit()?;
        let length = self.assurance().otp.length;
        let Ok(code) = normalise_digits(code, Some(length)) else {
            // A malformed entry uses no try: it cannot be a guess.
            return Ok(ChallengeAttempt::Wrong {
                attempts_left: u32::MAX,
            });
        };
        let digest = kit.codes.digest(purpose, &code);
        Ok(kit
            .challenges
            .attempt_challenge(account, purpose, &digest, self.clock.now())
            .await?)
    }

    /// Checks one code of the account's recovery list; a used code is gone
    /// (R-MF-1 "recovery codes (one-time list)").
    pub async fn prove_recovery_code(
        &self,
        txn: &mut LoginTxn,
        class: FactorClass,
        code: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let account = Self::account_of(txn)?;
        let kit = self.kit()?;
        let consumed = match pforte_factors::recovery::digest(&kit.codes, code) {
            Ok(digest) => {
                kit.factors
                    .consume_recovery_code(account, &digest, self.clock.now())
                    .await?
            }
            Err(_) => false,
        };
        if consumed {
            self.factor_proven(txn, Method::RecoveryCode, class, context)
                .await
        } else {
            Err(self
                .factor_failed(txn, Method::RecoveryCode, "wrong_recovery_code", context)
                .await?)
        }
    }
}

fn attempt_reason(attempt: ChallengeAttempt) -> String {
    match attempt {
        ChallengeAttempt::Matched => "matched".to_owned(),
        ChallengeAttempt::Wrong { attempts_left } if attempts_left == u32::MAX => {
            "malformed_code".to_owned()
        }
        ChallengeAttempt::Wrong { attempts_left } => {
            format!("wrong_code attempts_left={attempts_left}")
        }
        ChallengeAttempt::Exhausted => "code_exhausted".to_owned(),
        ChallengeAttempt::Expired => "code_expired".to_owned(),
        ChallengeAttempt::Unknown => "no_code_sent".to_owned(),
    }
}
