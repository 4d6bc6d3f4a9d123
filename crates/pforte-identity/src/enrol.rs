//! Enrolling and managing second factors, at login (policy `enrol`, the
//! required action "enrol a second factor") and in self-service (R-MF-1,
//! R-MF-2, R-MF-4, R-AC-4).
//!
//! A factor is stored unconfirmed first and counts only after the user proved
//! it once: the first TOTP code, or the code sent to the new number or
//! address. Secrets and destinations are sealed with the master key, bound to
//! the factor's id (R-OP-4).

use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::factor::{ChallengeAttempt, EnrolledFactor, FactorId, seal_context};
use crate::flow::LoginTxn;
use crate::flow::prove::CodeSent;
use crate::service::{IdentityError, IdentityService};
use pforte_factors::totp::{TotpParams, TotpSecret};
use pforte_types::{AccountId, Evidence, FactorClass, Method};

/// What the TOTP enrolment page shows (R-MF-1: QR code and manual key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    pub factor_id: FactorId,
    /// The key for manual entry, base32 in groups of four.
    pub manual_key: String,
    pub otpauth_url: String,
    /// The QR code of `otpauth_url` as an inline SVG drawing.
    pub qr_svg: String,
}

/// Longest name a user may give a factor.
pub const MAX_LABEL_CHARS: usize = 60;

impl IdentityService {
    pub(crate) fn seal(&self, id: FactorId, secret: &[u8]) -> Result<Vec<u8>, IdentityError> {
        self.kit()?
            .master
            .encrypt(secret, seal_context(id).as_bytes())
            .map_err(|error| IdentityError::Sealing(error.to_string()))
    }

    /// Removes unconfirmed factors of `method` left by an abandoned
    /// enrolment, so that a new attempt starts clean.
    async fn drop_unconfirmed(
        &self,
        account: AccountId,
        method: Method,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        for factor in kit.factors.factors(account).await? {
            if !factor.confirmed && factor.method == method {
                kit.factors.remove_factor(account, factor.id, &[]).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn username_of(&self, account: AccountId) -> Result<String, IdentityError> {
        Ok(self
            .accounts
            .get_account(account)
            .await?
            .ok_or(IdentityError::UnknownAccount(account.to_string()))?
            .username)
    }

    /// Starts a TOTP enrolment: a new random seed, stored sealed and
    /// unconfirmed, shown as QR code and manual key.
    pub async fn begin_totp_enrolment(
        &self,
        account: AccountId,
    ) -> Result<TotpEnrolment, IdentityError> {
        let kit = self.kit()?;
        self.drop_unconfirmed(account, Method::Totp).await?;
        let username = self.username_of(account).await?;
        let secret = TotpSecret::generate();
        let id = FactorId::new();
        let now = self.clock.now();
        let factor = EnrolledFactor {
            id,
            account_id: account,
            method: Method::Totp,
            label: kit.totp_issuer.clone(),
            secret_sealed: Some(self.seal(id, secret.as_bytes())?),
            public_data: None,
            credential_id: None,
            confirmed: false,
            last_totp_step: None,
            created_at: now,
            last_used_at: None,
        };
        kit.factors.insert_factor(&factor, &[]).await?;
        let otpauth_url = TotpParams::default()
            .otpauth_url(&secret, &kit.totp_issuer, &username)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let qr_svg = pforte_factors::qr::qr_svg(&otpauth_url, "QR-Code")
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        Ok(TotpEnrolment {
            factor_id: id,
            manual_key: secret.to_base32_grouped(),
            otpauth_url,
            qr_svg,
        })
    }

    /// The enrolment page of an unconfirmed TOTP factor again (after a wrong
    /// first code): the seed is unsealed, never kept elsewhere.
    pub async fn totp_enrolment_view(
        &self,
        account: AccountId,
        factor_id: FactorId,
    ) -> Result<TotpEnrolment, IdentityError> {
        let kit = self.kit()?;
        let factor = self.own_factor(account, factor_id).await?;
        if factor.confirmed || factor.method != Method::Totp {
            return Err(IdentityError::NoSuchFactor);
        }
        let secret = TotpSecret::from_bytes(&self.unseal(&factor)?)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let username = self.username_of(account).await?;
        let otpauth_url = TotpParams::default()
            .otpauth_url(&secret, &kit.totp_issuer, &username)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let qr_svg = pforte_factors::qr::qr_svg(&otpauth_url, "QR-Code")
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        Ok(TotpEnrolment {
            factor_id,
            manual_key: secret.to_base32_grouped(),
            otpauth_url,
            qr_svg,
        })
    }

    /// The factor being enrolled, if it is this account's and unconfirmed.
    pub async fn pending_factor(
        &self,
        account: AccountId,
        factor_id: FactorId,
    ) -> Result<Option<EnrolledFactor>, IdentityError> {
        Ok(self
            .own_factor(account, factor_id)
            .await
            .ok()
            .filter(|factor| !factor.confirmed))
    }

    /// Confirms a TOTP enrolment with the first code from the app. In a
    /// login, the code also proves possession for the class asked for.
    pub async fn confirm_totp_enrolment(
        &self,
        account: AccountId,
        factor_id: FactorId,
        code: &str,
        txn: Option<(&mut LoginTxn, FactorClass)>,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let factor = self.own_factor(account, factor_id).await?;
        let secret = TotpSecret::from_bytes(&self.unseal(&factor)?)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let now = self.clock.now();
        let step = TotpParams::default()
            .verify(&secret, code, now, factor.last_totp_step)
            .map_err(|_| IdentityError::WrongCode)?;
        if !kit.factors.advance_totp_step(factor.id, step, now).await? {
            return Err(IdentityError::WrongCode);
        }
        self.confirm(&factor, txn, context).await
    }

    /// Starts enrolling a mobile number (SMS-TAN) or an e-mail address
    /// (e-mail code): the destination is checked for shape, stored sealed and
    /// unconfirmed, and a code is sent to it (R-MF-4).
    ///
    /// When the policy asks for a membership proof (R-MF-4), enrolling a
    /// mobile number first needs the last digits of the health card's serial
    /// number in `membership`.
    pub async fn begin_code_enrolment(
        &self,
        account: AccountId,
        method: Method,
        destination: &str,
        membership: Option<&str>,
        language: &str,
        context: &RequestContext,
    ) -> Result<(FactorId, CodeSent), IdentityError> {
        let kit = self.kit()?;
        if method == Method::SmsTan {
            self.prove_membership(account, membership.unwrap_or_default(), context)
                .await?;
        }
        let (normalised, label) = match method {
            Method::SmsTan => {
                let number = pforte_factors::phone::normalise_phone(destination)
                    .map_err(|error| IdentityError::InvalidDestination(error.to_string()))?;
                (number.as_str().to_owned(), number.masked())
            }
            Method::EmailCode => {
                let address = destination.trim().to_owned();
                if !plausible_email(&address) {
                    return Err(IdentityError::InvalidDestination(
                        "not an e-mail address".to_owned(),
                    ));
                }
                let label = pforte_factors::phone::mask_email(&address);
                (address, label)
            }
            _ => return Err(IdentityError::NoSuchFactor),
        };
        self.drop_unconfirmed(account, method).await?;
        let username = self.username_of(account).await?;
        let id = FactorId::new();
        let factor = EnrolledFactor {
            id,
            account_id: account,
            method,
            label,
            secret_sealed: Some(self.seal(id, normalised.as_bytes())?),
            public_data: None,
            credential_id: None,
            confirmed: false,
            last_totp_step: None,
            created_at: self.clock.now(),
            last_used_at: None,
        };
        kit.factors.insert_factor(&factor, &[]).await?;
        let sent = self
            .send_code(
                account,
                &username,
                &factor,
                &enrol_purpose(id),
                "enrol_code",
                language,
                context,
            )
            .await?;
        Ok((id, sent))
    }

    /// Sends the enrolment code again (throttled like any code).
    pub async fn resend_enrolment_code(
        &self,
        account: AccountId,
        factor_id: FactorId,
        language: &str,
        context: &RequestContext,
    ) -> Result<CodeSent, IdentityError> {
        let factor = self.own_factor(account, factor_id).await?;
        let username = self.username_of(account).await?;
        self.send_code(
            account,
            &username,
            &factor,
            &enrol_purpose(factor_id),
            "enrol_code",
            language,
            context,
        )
        .await
    }

    /// Confirms a number or address with the code sent to it; the account's
    /// mobile number or e-mail address is then verified too.
    pub async fn confirm_code_enrolment(
        &self,
        account: AccountId,
        factor_id: FactorId,
        code: &str,
        txn: Option<(&mut LoginTxn, FactorClass)>,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let factor = self.own_factor(account, factor_id).await?;
        match self
            .check_code(account, &enrol_purpose(factor_id), code)
            .await?
        {
            ChallengeAttempt::Matched => {}
            ChallengeAttempt::Wrong { .. } => return Err(IdentityError::WrongCode),
            _ => return Err(IdentityError::CodeExpired),
        }
        let destination = String::from_utf8(self.unseal(&factor)?)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let now = self.clock.now();
        let username = self.username_of(account).await?;
        let event = AuditEvent::new(
            AuditKind::ContactVerified,
            now,
            Some(account),
            &username,
            context,
        )
        .with_detail(format!("method={} to={}", factor.method, factor.label));
        match factor.method {
            Method::SmsTan => {
                kit.profiles
                    .set_verified_phone(account, &destination, now, &[event])
                    .await?
            }
            _ => {
                kit.profiles
                    .set_verified_email(account, &destination, now, &[event])
                    .await?
            }
        }
        self.confirm(&factor, txn, context).await
    }

    /// Marks the factor confirmed (audited) and, in a login, records it as
    /// evidence.
    async fn confirm(
        &self,
        factor: &EnrolledFactor,
        txn: Option<(&mut LoginTxn, FactorClass)>,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let now = self.clock.now();
        let username = self.username_of(factor.account_id).await?;
        let event = AuditEvent::new(
            AuditKind::FactorEnrolled,
            now,
            Some(factor.account_id),
            &username,
            context,
        )
        .with_detail(format!("method={} factor={}", factor.method, factor.id));
        kit.factors.confirm_factor(factor.id, now, &[event]).await?;
        if let Some((txn, class)) = txn {
            let class = self
                .assurance()
                .class_of(factor.method, Some(class))
                .unwrap_or(class);
            txn.prove(Evidence {
                method: factor.method,
                class,
                at: now,
            });
            txn.enrolling = None;
        }
        Ok(())
    }

    async fn own_factor(
        &self,
        account: AccountId,
        factor_id: FactorId,
    ) -> Result<EnrolledFactor, IdentityError> {
        self.kit()?
            .factors
            .factor(factor_id)
            .await?
            .filter(|factor| factor.account_id == account)
            .ok_or(IdentityError::NoSuchFactor)
    }

    /// Issues a new list of recovery codes (the old list becomes invalid) and
    /// returns the codes, which are shown once and stored only as digests.
    pub async fn issue_recovery_codes(
        &self,
        account: AccountId,
        context: &RequestContext,
    ) -> Result<Vec<String>, IdentityError> {
        let kit = self.kit()?;
        let count = self.assurance().recovery_codes;
        if count == 0 {
            return Err(IdentityError::NoSuchFactor);
        }
        let codes = pforte_factors::recovery::generate(usize::from(count));
        let digests: Vec<String> = codes
            .iter()
            .filter_map(|code| pforte_factors::recovery::digest(&kit.codes, code).ok())
            .collect();
        let now = self.clock.now();
        let username = self.username_of(account).await?;
        let event = AuditEvent::new(
            AuditKind::RecoveryCodesIssued,
            now,
            Some(account),
            &username,
            context,
        )
        .with_detail(format!("count={}", digests.len()));
        kit.factors
            .replace_recovery_codes(account, &digests, now, &[event])
            .await?;
        Ok(codes)
    }

    /// The confirmed factors of an account, for self-service and operators.
    pub async fn list_factors(
        &self,
        account: AccountId,
    ) -> Result<Vec<EnrolledFactor>, IdentityError> {
        Ok(self
            .kit()?
            .factors
            .factors(account)
            .await?
            .into_iter()
            .filter(|factor| factor.confirmed)
            .collect())
    }

    /// How many unused recovery codes the account has.
    pub async fn recovery_codes_left(&self, account: AccountId) -> Result<usize, IdentityError> {
        Ok(self.kit()?.factors.recovery_codes_left(account).await?)
    }

    /// Gives a factor a name of the user's choice (trimmed, at most
    /// [`MAX_LABEL_CHARS`] characters, not empty).
    pub async fn rename_factor(
        &self,
        account: AccountId,
        factor_id: FactorId,
        label: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let label = clean_label(label)?;
        let kit = self.kit()?;
        if !kit.factors.rename_factor(account, factor_id, label).await? {
            return Err(IdentityError::NoSuchFactor);
        }
        let username = self.username_of(account).await?;
        let event = AuditEvent::new(
            AuditKind::FactorRenamed,
            self.clock.now(),
            Some(account),
            &username,
            context,
        )
        .with_detail(format!("factor={factor_id}"));
        self.guard()?.lockout.append_audit(&[event]).await?;
        Ok(())
    }

    /// Removes a factor of the account (audited). Removing the last second
    /// factor while the policy makes one mandatory is refused: the user
    /// switches methods by enrolling the new one first (R-MF-2).
    pub async fn remove_factor(
        &self,
        account: AccountId,
        factor_id: FactorId,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let factors = self.list_factors(account).await?;
        let target = factors
            .iter()
            .find(|factor| factor.id == factor_id)
            .ok_or(IdentityError::NoSuchFactor)?;
        if self.assurance().second_factor_mandatory && factors.len() == 1 {
            return Err(IdentityError::LastFactor);
        }
        let username = self.username_of(account).await?;
        let event = AuditEvent::new(
            AuditKind::FactorRemoved,
            self.clock.now(),
            Some(account),
            &username,
            context,
        )
        .with_detail(format!("method={} factor={factor_id}", target.method));
        if !kit
            .factors
            .remove_factor(account, factor_id, &[event])
            .await?
        {
            return Err(IdentityError::NoSuchFactor);
        }
        Ok(())
    }

    /// Records that the account accepted the terms version in force
    /// (required action, R-RG-2, R-RG-7).
    pub async fn accept_terms(
        &self,
        account: AccountId,
        version: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let username = self.username_of(account).await?;
        let now = self.clock.now();
        let event = AuditEvent::new(
            AuditKind::TermsAccepted,
            now,
            Some(account),
            &username,
            context,
        )
        .with_detail(format!("version={version}"));
        self.kit()?
            .profiles
            .accept_terms(account, version, now, &[event])
            .await?;
        Ok(())
    }
}

impl IdentityService {
    /// The number of trailing serial digits the policy asks for, if any.
    pub fn membership_proof_digits(&self) -> Option<u8> {
        self.assurance()
            .membership_proof_digits
            .filter(|digits| *digits > 0)
    }

    /// Stores the serial number of the member's health card, sealed
    /// (R-OP-4), for the membership proof (R-MF-4).
    pub async fn set_card_serial(
        &self,
        account: AccountId,
        serial: &str,
    ) -> Result<(), IdentityError> {
        let serial = normalise_serial(serial);
        if serial.is_empty() || !serial.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(IdentityError::InvalidDestination(
                "the card serial may contain only letters and digits".to_owned(),
            ));
        }
        let kit = self.kit()?;
        let sealed = kit
            .master
            .encrypt(serial.as_bytes(), card_seal_context(account).as_bytes())
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        kit.profiles
            .set_card_serial_sealed(account, &sealed, self.clock.now())
            .await?;
        Ok(())
    }

    /// Checks the last digits of the health card serial (R-MF-4) when the
    /// policy asks for them; a miss is audited. The comparison runs on keyed
    /// digests, in constant time.
    async fn prove_membership(
        &self,
        account: AccountId,
        entered: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let Some(digits) = self.membership_proof_digits() else {
            return Ok(());
        };
        let kit = self.kit()?;
        let Some(sealed) = kit.profiles.card_serial_sealed(account).await? else {
            return Err(IdentityError::MembershipUnavailable);
        };
        let serial = String::from_utf8(
            kit.master
                .decrypt(&sealed, card_seal_context(account).as_bytes())
                .map_err(|error| IdentityError::Sealing(error.to_string()))?,
        )
        .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let expected: String = {
            let chars: Vec<char> = serial.chars().collect();
            let start = chars.len().saturating_sub(usize::from(digits));
            chars[start..].iter().collect()
        };
        let entered = normalise_serial(entered);
        let expected_digest = kit.codes.digest(MEMBERSHIP_PURPOSE, &expected);
        if entered.chars().count() == usize::from(digits)
            && kit
                .codes
                .verify(MEMBERSHIP_PURPOSE, &entered, &expected_digest)
        {
            return Ok(());
        }
        let username = self.username_of(account).await?;
        let event = AuditEvent::new(
            AuditKind::FactorFailed,
            self.clock.now(),
            Some(account),
            &username,
            context,
        )
        .with_detail("method=sms_tan membership_proof_failed");
        self.guard()?.lockout.append_audit(&[event]).await?;
        Err(IdentityError::MembershipNotProven)
    }
}

/// The digest purpose of the membership comparison.
const MEMBERSHIP_PURPOSE: &str = "membership";

/// The AES-GCM context the card serial is sealed under, bound to the
/// account.
fn card_seal_context(account: AccountId) -> String {
    format!("pforte card serial v1:{account}")
}

fn normalise_serial(serial: &str) -> String {
    serial
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A factor name as the user typed it, trimmed: not empty, at most
/// [`MAX_LABEL_CHARS`] characters, no control characters.
pub(crate) fn clean_label(label: &str) -> Result<&str, IdentityError> {
    let label = label.trim();
    if label.is_empty()
        || label.chars().count() > MAX_LABEL_CHARS
        || label.chars().any(char::is_control)
    {
        return Err(IdentityError::InvalidLabel);
    }
    Ok(label)
}

/// The purpose an enrolment code is bound to.
fn enrol_purpose(id: FactorId) -> String {
    format!("enrol:{id}")
}

/// A light shape check: one `@`, a dot in the domain, no spaces. Whether the
/// address works is proven by the code sent to it.
pub(crate) fn plausible_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
        && address.len() <= 254
        && !domain.contains('@')
}
