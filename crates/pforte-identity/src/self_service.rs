//! Self-service changes of a logged-in user (R-RC-3, R-PW-4): the password
//! (the current one required), the e-mail address and the mobile number.
//!
//! Changing an address needs a recent password proof in the session
//! ([`crate::reauth`]; the web layer asks for it), then a code sent to the
//! *new* address proves it belongs to the user; only then is it stored as
//! verified, and a notice goes to the *old* address (R-RC-3 "changes are
//! confirmed to the old address"), so that the owner of a hijacked session
//! cannot move the account away unnoticed. The code is bound to the new
//! address: its purpose contains a digest of it, so a code sent for one
//! address never confirms another.
//!
//! The mobile number changed here is the account's contact number (used
//! for recovery by SMS); a mobile number enrolled as a second factor is
//! managed on the factors page.

use crate::account::Account;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::factor::{ChallengeAttempt, Channel};
use crate::service::{IdentityError, IdentityService};
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which contact is being changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Email,
    Mobile,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Mobile => "mobile",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(Self::Email),
            "mobile" => Some(Self::Mobile),
            _ => None,
        }
    }

    fn channel(self) -> Channel {
        match self {
            Self::Email => Channel::Email,
            Self::Mobile => Channel::Sms,
        }
    }
}

/// A contact change waiting for its code: the normalised new address and
/// its masked form for the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingContact {
    pub kind: ContactKind,
    pub address: String,
    pub masked: String,
}

/// The challenge purpose of a contact change, bound to the new address.
fn contact_purpose(kind: ContactKind, address: &str) -> String {
    format!(
        "contact-change:{}:{}",
        kind.as_str(),
        pforte_crypto::random::sha256_b64url(&address.to_lowercase())
    )
}

impl IdentityService {
    async fn own_account(&self, account: AccountId) -> Result<Account, IdentityError> {
        self.accounts
            .get_account(account)
            .await?
            .ok_or_else(|| IdentityError::UnknownAccount(account.to_string()))
    }

    /// A password change by the logged-in user (R-PW-4): the current
    /// password is checked like a login (lockout and throttling apply and
    /// the attempt is audited), the new one against every rule (R-PW-2).
    /// Other sessions stay; a notice goes to the verified address.
    pub async fn change_own_password(
        &self,
        account_id: AccountId,
        current: &str,
        new_password: &str,
        confirmation: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let account = self.own_account(account_id).await?;
        let outcome = self.login(&account.username, current, context).await?;
        if outcome.account.id != account_id {
            return Err(IdentityError::WrongAccount);
        }
        self.check_new_password(&account, new_password).await?;
        if new_password != confirmation {
            return Err(IdentityError::PasswordConfirmationMismatch);
        }
        self.store_password(&account, new_password, false, "self_service", context)
            .await?;
        self.notify_account(
            &account,
            "password_changed_notice",
            BTreeMap::new(),
            language,
        )
        .await;
        Ok(())
    }

    /// Starts a change of the e-mail address or mobile number: checks the
    /// new address's shape and sends a code to it (R-RC-3).
    pub async fn begin_contact_change(
        &self,
        account_id: AccountId,
        kind: ContactKind,
        input: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<PendingContact, IdentityError> {
        let account = self.own_account(account_id).await?;
        let pending = match kind {
            ContactKind::Email => {
                let address = input.trim().to_owned();
                if !crate::enrol::plausible_email(&address) {
                    return Err(IdentityError::InvalidDestination(
                        "not an e-mail address".to_owned(),
                    ));
                }
                PendingContact {
                    kind,
                    masked: pforte_factors::phone::mask_email(&address),
                    address,
                }
            }
            ContactKind::Mobile => {
                let number = pforte_factors::phone::normalise_phone(input)
                    .map_err(|error| IdentityError::InvalidDestination(error.to_string()))?;
                PendingContact {
                    kind,
                    masked: number.masked(),
                    address: number.as_str().to_owned(),
                }
            }
        };
        self.send_to(
            &account,
            kind.channel(),
            &pending.address,
            &pending.masked,
            &contact_purpose(kind, &pending.address),
            "contact_change_code",
            language,
            context,
        )
        .await?;
        Ok(pending)
    }

    /// Confirms the new address with its code, stores it as verified and
    /// sends a notice to the old address (when there was a verified one).
    pub async fn confirm_contact_change(
        &self,
        account_id: AccountId,
        pending: &PendingContact,
        code: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let account = self.own_account(account_id).await?;
        match self
            .check_code(
                account_id,
                &contact_purpose(pending.kind, &pending.address),
                code,
            )
            .await?
        {
            ChallengeAttempt::Matched => {}
            ChallengeAttempt::Wrong { .. } => return Err(IdentityError::WrongCode),
            _ => return Err(IdentityError::CodeExpired),
        }
        let old = match pending.kind {
            ContactKind::Email => account.email.clone().filter(|_| account.email_verified),
            ContactKind::Mobile => account.phone.clone().filter(|_| account.phone_verified),
        };
        let now = self.clock.now();
        let event = AuditEvent::new(
            AuditKind::ContactChanged,
            now,
            Some(account_id),
            &account.username,
            context,
        )
        .with_detail(format!(
            "kind={} to={} old_notified={}",
            pending.kind.as_str(),
            pending.masked,
            old.is_some()
        ));
        match pending.kind {
            ContactKind::Email => {
                kit.profiles
                    .set_verified_email(account_id, &pending.address, now, &[event])
                    .await?
            }
            ContactKind::Mobile => {
                kit.profiles
                    .set_verified_phone(account_id, &pending.address, now, &[event])
                    .await?
            }
        }
        if let Some(old) = old
            && !old.eq_ignore_ascii_case(&pending.address)
        {
            let mut params = BTreeMap::new();
            params.insert("new".to_owned(), pending.masked.clone());
            let template = match pending.kind {
                ContactKind::Email => "email_changed_notice",
                ContactKind::Mobile => "mobile_changed_notice",
            };
            // The change is made; a notice that cannot be delivered does not
            // undo it, but the trail records it.
            if let Err(error) = self
                .send_message(
                    Some(account_id),
                    pending.kind.channel(),
                    &old,
                    template,
                    params,
                    language,
                )
                .await
            {
                let event = AuditEvent::new(
                    AuditKind::ContactChanged,
                    now,
                    Some(account_id),
                    &account.username,
                    context,
                )
                .with_detail(format!("old_notice_failed error={error}"));
                self.guard()?.lockout.append_audit(&[event]).await?;
            }
        }
        Ok(())
    }
}

/// The account's verified e-mail address, masked for a page.
pub fn masked_email(account: &Account) -> Option<String> {
    account
        .email
        .as_ref()
        .filter(|_| account.email_verified)
        .map(|email| pforte_factors::phone::mask_email(email))
}

/// The account's verified mobile number, masked for a page.
pub fn masked_mobile(account: &Account) -> Option<String> {
    account
        .phone
        .as_ref()
        .filter(|_| account.phone_verified)
        .map(|phone| {
            pforte_factors::phone::normalise_phone(phone)
                .map(|number| number.masked())
                .unwrap_or_else(|_| "•••".to_owned())
        })
}
