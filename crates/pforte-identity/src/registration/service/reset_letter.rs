//! Forgot password by post (R-RC-1: "… or a new activation code by post").
//!
//! A member who has neither a verified e-mail address nor a verified mobile
//! number (or no longer has access to them) asks on `/password/forgot` for a
//! new activation letter. It is the registration's letter (R-RG-4): a new
//! code, stored as a keyed digest, valid for the policy's activation period,
//! and it voids the account's earlier code. When the letter has arrived the
//! member comes back, chooses "I have a code from a letter", names the
//! account and enters the code; the right code opens the usual new-password
//! step of [`crate::recovery`], which lifts a lock, ends every session and
//! sends a notice. An account still waiting for its first activation is
//! activated by the same code, since it proves the same postal address.
//!
//! The answer never tells whether the account exists, is linked to a member
//! or has a postal address: every request gets the same page, and for an
//! account that cannot get a letter the same code generation and digest are
//! done as for a real letter (only the store write and the hand-over to the
//! notifier are skipped). Entering a code answers "wrong code" alike for an
//! unknown account, an account without a pending code, an expired code and
//! a wrong one.

use super::{Registrar, RegistrationError};
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::ports::ActivationAttempt;
use crate::recovery::{ResetChannel, ResetTicket};
use crate::registration::Stage;
use crate::service::IdentityError;
use pforte_factors::activation;
use pforte_types::AccountId;

/// The `activation_letter_requested` detail of a letter a reset asked for.
const RESET_LETTER: &str = "password_reset";

impl Registrar {
    /// Step 1 of a reset by post: queues a new activation letter for the
    /// account `input` names when it is linked to a member with a postal
    /// address and is active or waiting for its activation; otherwise the
    /// same work without a letter. The caller shows the same page either
    /// way. Audited as `password_reset_requested` (`channel=letter`).
    pub async fn request_reset_letter(
        &self,
        input: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<ResetTicket, IdentityError> {
        let identity = &self.identity;
        identity.count_recovery_request(context).await?;
        let account = identity.account_for_recovery(input).await?;
        let link = match &account {
            Some(account) => self.links.link_of_account(account.id).await?,
            None => None,
        };
        let eligible = link
            .as_ref()
            .is_some_and(|link| matches!(link.stage, Stage::Active | Stage::AwaitingActivation));
        let outcome = match &account {
            Some(account) if eligible => {
                match self
                    .send_activation_letter(account.id, language, context, RESET_LETTER)
                    .await
                {
                    Ok(valid_until) => format!("outcome=letter_queued valid_until={valid_until}"),
                    Err(RegistrationError::NoPostalAddress) => {
                        self.dummy_letter_work()?;
                        "outcome=no_postal_address".to_owned()
                    }
                    Err(RegistrationError::Identity(IdentityError::Delivery(error))) => {
                        format!("outcome=failed error={error}")
                    }
                    Err(RegistrationError::Identity(error)) => return Err(error),
                    Err(error) => format!("outcome=failed error={error}"),
                }
            }
            Some(_) => {
                self.dummy_letter_work()?;
                if link.is_some() {
                    "outcome=not_active".to_owned()
                } else {
                    "outcome=no_member_link".to_owned()
                }
            }
            None => {
                self.dummy_letter_work()?;
                "outcome=unknown_account".to_owned()
            }
        };
        self.audit_reset_request(account.as_ref(), ResetChannel::Letter, &outcome, context)
            .await?;
        Ok(ResetTicket {
            account: account
                .map(|account| account.id)
                .unwrap_or_else(AccountId::new),
            channel: ResetChannel::Letter,
            verified: false,
        })
    }

    /// Step 1 when the letter has arrived: names the account whose code
    /// will be entered. Nothing is sent; counted like every recovery
    /// request.
    pub async fn letter_code_ticket(
        &self,
        input: &str,
        context: &RequestContext,
    ) -> Result<ResetTicket, IdentityError> {
        let identity = &self.identity;
        identity.count_recovery_request(context).await?;
        let account = identity.account_for_recovery(input).await?;
        let outcome = if account.is_some() {
            "outcome=code_entry"
        } else {
            "outcome=unknown_account"
        };
        self.audit_reset_request(account.as_ref(), ResetChannel::LetterCode, outcome, context)
            .await?;
        Ok(ResetTicket {
            account: account
                .map(|account| account.id)
                .unwrap_or_else(AccountId::new),
            channel: ResetChannel::LetterCode,
            verified: false,
        })
    }

    /// Step 2 by post: the activation code from the letter (single use,
    /// consumed by the code store). The right code marks the ticket
    /// verified and activates an account that was still waiting for it;
    /// anything else is [`IdentityError::WrongCode`], whatever the reason
    /// (module docs), and is audited as `activation_code_failed` for a real
    /// account.
    pub async fn verify_reset_letter_code(
        &self,
        ticket: &ResetTicket,
        code: &str,
        context: &RequestContext,
    ) -> Result<ResetTicket, IdentityError> {
        if !ticket.channel.is_letter() {
            return Err(IdentityError::CodeExpired);
        }
        let kit = self.identity.kit()?;
        let now = self.identity.clock.now();
        let attempt = match activation::digest(&kit.codes, &ticket.account.to_string(), code) {
            Ok(digest) => Some(
                self.codes
                    .attempt_activation_code(ticket.account, &digest, now)
                    .await?,
            ),
            Err(_) => None,
        };
        let account = self.identity.account(ticket.account).await?;
        let failure = match attempt {
            Some(ActivationAttempt::Matched) => None,
            Some(ActivationAttempt::Wrong) => Some("wrong_code"),
            Some(ActivationAttempt::Expired) => Some("expired"),
            Some(ActivationAttempt::NoCode) => Some("no_code"),
            None => Some("malformed"),
        };
        let Some(account) = account else {
            return Err(IdentityError::WrongCode);
        };
        if let Some(reason) = failure {
            let failed = self.event(
                AuditKind::ActivationCodeFailed,
                account.id,
                &account.username,
                context,
                format!("{reason} at={RESET_LETTER}"),
            );
            self.identity
                .guard()?
                .lockout
                .append_audit(&[failed])
                .await?;
            return Err(IdentityError::WrongCode);
        }
        if let Some(link) = self.links.link_of_account(account.id).await?
            && link.stage == Stage::AwaitingActivation
        {
            let activated = self.event(
                AuditKind::AccountActivated,
                account.id,
                &account.username,
                context,
                format!("proofing={} at={RESET_LETTER}", link.proofing.as_str()),
            );
            self.links
                .set_stage(account.id, Stage::Active, link.proofing, now, &[activated])
                .await?;
        }
        Ok(ResetTicket {
            verified: true,
            ..ticket.clone()
        })
    }

    /// The code generation and keyed digest of a letter, for a request that
    /// gets no letter, so that it costs the same.
    fn dummy_letter_work(&self) -> Result<(), IdentityError> {
        let kit = self.identity.kit()?;
        let code = activation::generate();
        activation::digest(&kit.codes, &AccountId::new().to_string(), &code)
            .map(|_| ())
            .map_err(|error| IdentityError::Sealing(error.to_string()))
    }

    async fn audit_reset_request(
        &self,
        account: Option<&crate::account::Account>,
        channel: ResetChannel,
        outcome: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let event = AuditEvent::new(
            AuditKind::PasswordResetRequested,
            self.identity.clock.now(),
            account.map(|account| account.id),
            account
                .map(|account| account.username.as_str())
                .unwrap_or_default(),
            context,
        )
        .with_detail(format!("channel={} {outcome}", channel.as_str()));
        self.identity
            .guard()?
            .lockout
            .append_audit(&[event])
            .await?;
        Ok(())
    }
}
