//! Forgotten password and forgotten username (R-RC-1, R-RC-2).
//!
//! **Forgot password.** The user names the account (username, KVNR or
//! verified e-mail address) and a channel (a code to the verified e-mail
//! address or to the verified mobile number). The answer never reveals
//! whether the account exists or has that channel (R-RC-1): when it does not,
//! the same work is done on a *dummy path* — a code is generated, digested
//! and stored as a challenge under a random account id that belongs to
//! nobody — only nothing is sent. The page then asks for the code either
//! way; codes entered against the dummy challenge fail and use up its tries
//! exactly as a real one would.
//!
//! The right code (single use, the policy's OTP validity and number of tries,
//! R-MF-3) opens the new-password step: the password policy applies with
//! every rule named and the history respected (R-PW-2). The reset lifts a
//! lock and a lock-triggered deactivation (R-LO-2: "only a password reset or
//! an operator lifts that"), ends every session of the account so that its
//! relying parties are told (R-SE-2), sends a notice and is audited.
//!
//! Requests are throttled per source address ([`RECOVERY_PER_IP`], counted
//! per request, not per failure) and per account (a new code only after the
//! policy's resend interval; an early request is answered like any other and
//! sends nothing).
//!
//! A third way, a new activation letter by post (R-RC-1 "a new activation
//! code by post"), belongs to registration
//! (`registration/service/reset_letter.rs`): [`ResetChannel::Letter`]
//! queues the letter, [`ResetChannel::LetterCode`] takes its code when it
//! has arrived; the new-password step is this module's.
//!
//! **Forgot username.** The username is sent to the verified e-mail address
//! the user enters; the answer is the same whether or not one was found.

use crate::account::Account;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::factor::{ChallengeAttempt, Channel, CodeChallenge, OutboundMessage};
use crate::login::reason_text;
use crate::ports::{CounterKey, Transition};
use crate::service::{IdentityError, IdentityService};
use crate::session::SessionEndReason;
use chrono::TimeDelta;
use pforte_factors::code::generate_numeric;
use pforte_policy::{Identifier, LockState, ThrottleKey, ThrottleLimit, WindowCounter};
use pforte_types::{AccountId, Method};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many password or username recovery requests one address may make per
/// [`RECOVERY_WINDOW_MINUTES`]: enough for a household behind one router and
/// a few typing mistakes, far too few to probe a member list.
pub const RECOVERY_PER_IP: u32 = 10;
/// The window of [`RECOVERY_PER_IP`].
pub const RECOVERY_WINDOW_MINUTES: i64 = 15;

/// The challenge purpose of a password reset code.
pub(crate) const RESET_PURPOSE: &str = "password-reset";

/// Where the reset code goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetChannel {
    /// The verified e-mail address.
    Email,
    /// The verified mobile number (SMS).
    Sms,
    /// A new activation code by post to the member's address (R-RC-1); the
    /// letter voids the account's earlier code. Handled by the registration
    /// (`Registrar::request_reset_letter`), not by
    /// [`IdentityService::request_password_reset`].
    Letter,
    /// The code of such a letter, entered when it has arrived (days later,
    /// in a new flow): nothing is sent
    /// (`Registrar::letter_code_ticket`).
    LetterCode,
}

impl ResetChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Letter => "letter",
            Self::LetterCode => "letter_code",
        }
    }

    /// Whether the code is an activation code from a letter (checked by the
    /// registration's code store) rather than a one-time code.
    pub fn is_letter(self) -> bool {
        matches!(self, Self::Letter | Self::LetterCode)
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            "letter" => Some(Self::Letter),
            "letter_code" => Some(Self::LetterCode),
            _ => None,
        }
    }
}

/// What the web layer keeps between the steps of a reset (server-side). The
/// account id is the real one or the dummy one; nobody outside this module
/// can tell which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetTicket {
    pub account: AccountId,
    pub channel: ResetChannel,
    /// Set once the right code was entered; only then may a new password be
    /// set.
    pub verified: bool,
}

/// Where a code for `account` goes on `channel`: the verified address, with
/// its masked form for the audit trail.
fn destination(account: &Account, channel: ResetChannel) -> Option<(String, String)> {
    match channel {
        ResetChannel::Email => account
            .email
            .as_ref()
            .filter(|_| account.email_verified)
            .map(|email| (email.clone(), pforte_factors::phone::mask_email(email))),
        ResetChannel::Sms => account
            .phone
            .as_ref()
            .filter(|_| account.phone_verified)
            .map(|phone| {
                let masked = pforte_factors::phone::normalise_phone(phone)
                    .map(|number| number.masked())
                    .unwrap_or_else(|_| "•••".to_owned());
                (phone.clone(), masked)
            }),
        // Letters go through the registration; never a code from here.
        ResetChannel::Letter | ResetChannel::LetterCode => None,
    }
}

impl IdentityService {
    /// The account a recovery form names: by username or KVNR, or by
    /// verified e-mail address (as at login, R-ID-1). Input that cannot be a
    /// login name finds nothing.
    pub(crate) async fn account_for_recovery(
        &self,
        input: &str,
    ) -> Result<Option<Account>, IdentityError> {
        let guard = self.guard()?;
        let Ok(identifier) = guard.policy.identifiers.classify(input) else {
            return Ok(None);
        };
        Ok(match &identifier {
            Identifier::Email(email) => self.accounts.find_by_verified_email(email).await?,
            _ => self.accounts.find_by_username(identifier.as_str()).await?,
        })
    }

    /// Counts one recovery request of the source address; `Err` when it made
    /// more than [`RECOVERY_PER_IP`] in the window. The counter is the login
    /// throttling store's (shared by all nodes with Redis), under a key of
    /// its own.
    pub(crate) async fn count_recovery_request(
        &self,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let Some(ip) = context.ip else {
            return Ok(());
        };
        let key = ThrottleKey::Recovery { address: ip };
        let limit = ThrottleLimit {
            max_failures: RECOVERY_PER_IP,
            window: TimeDelta::minutes(RECOVERY_WINDOW_MINUTES),
        };
        let counter: WindowCounter = self
            .throttle
            .count_key(&key, &limit, self.clock.now())
            .await?;
        if counter.failures > RECOVERY_PER_IP {
            return Err(IdentityError::RecoveryThrottled);
        }
        Ok(())
    }

    /// Step 1 of a reset: sends a code to the account's verified address on
    /// `channel` when there is one, and otherwise does the same work on the
    /// dummy path (module docs). The ticket is handed to the next step;
    /// the caller shows the same page either way.
    pub async fn request_password_reset(
        &self,
        input: &str,
        channel: ResetChannel,
        language: &str,
        context: &RequestContext,
    ) -> Result<ResetTicket, IdentityError> {
        let guard = self.guard()?;
        self.count_recovery_request(context).await?;
        let account = self.account_for_recovery(input).await?;
        let now = self.clock.now();
        let target = account
            .as_ref()
            .and_then(|account| destination(account, channel).map(|to| (account, to)));
        let Some((account, (to, masked))) = target else {
            let ticket = ResetTicket {
                account: self.dummy_challenge(channel).await?,
                channel,
                verified: false,
            };
            let outcome = if account.is_some() {
                "no_verified_destination"
            } else {
                "unknown_account"
            };
            let event = AuditEvent::new(
                AuditKind::PasswordResetRequested,
                now,
                account.as_ref().map(|account| account.id),
                &account
                    .as_ref()
                    .map(|account| account.username.clone())
                    .unwrap_or_default(),
                context,
            )
            .with_detail(format!("channel={} outcome={outcome}", channel.as_str()));
            guard.lockout.append_audit(&[event]).await?;
            return Ok(ticket);
        };
        let sent = self
            .send_to(
                account,
                channel_of(channel),
                &to,
                &masked,
                RESET_PURPOSE,
                "reset_code",
                language,
                context,
            )
            .await;
        let detail = match &sent {
            Ok(()) => format!("channel={} outcome=code_sent to={masked}", channel.as_str()),
            Err(IdentityError::ResendTooSoon { .. }) => {
                format!("channel={} outcome=resend_too_soon", channel.as_str())
            }
            Err(error) => format!("channel={} outcome=failed error={error}", channel.as_str()),
        };
        let event = AuditEvent::new(
            AuditKind::PasswordResetRequested,
            now,
            Some(account.id),
            &account.username,
            context,
        )
        .with_detail(detail);
        guard.lockout.append_audit(&[event]).await?;
        match sent {
            // Too early for a new code: the previous one is still valid and
            // the answer is the usual one. A failed delivery is in the trail;
            // the page must not differ from the dummy path's either.
            Ok(()) | Err(IdentityError::ResendTooSoon { .. } | IdentityError::Delivery(_)) => {
                Ok(ResetTicket {
                    account: account.id,
                    channel,
                    verified: false,
                })
            }
            Err(error) => Err(error),
        }
    }

    /// The same work as a real code without a recipient: a challenge under a
    /// random account id nobody has.
    async fn dummy_challenge(&self, channel: ResetChannel) -> Result<AccountId, IdentityError> {
        let kit = self.kit()?;
        let otp = self.assurance().otp;
        let now = self.clock.now();
        let account = AccountId::new();
        let code = generate_numeric(otp.length);
        let challenge = CodeChallenge {
            id: pforte_crypto::random::random_token(),
            account_id: account,
            purpose: RESET_PURPOSE.to_owned(),
            method: method_of(channel),
            factor_id: None,
            code_digest: kit.codes.digest(RESET_PURPOSE, &code),
            sent_at: now,
            expires_at: now + otp.validity,
            attempts_left: otp.max_attempts,
        };
        kit.challenges.put_challenge(&challenge).await?;
        Ok(account)
    }

    /// Step 2: the code. A match marks the ticket verified; a wrong code
    /// uses up one try ([`IdentityError::WrongCode`]); an expired, used-up or
    /// never-sent code needs a new request ([`IdentityError::CodeExpired`]).
    pub async fn verify_reset_code(
        &self,
        ticket: &ResetTicket,
        code: &str,
    ) -> Result<ResetTicket, IdentityError> {
        match self.check_code(ticket.account, RESET_PURPOSE, code).await? {
            ChallengeAttempt::Matched => Ok(ResetTicket {
                verified: true,
                ..ticket.clone()
            }),
            ChallengeAttempt::Wrong { .. } => Err(IdentityError::WrongCode),
            _ => Err(IdentityError::CodeExpired),
        }
    }

    /// Step 3: the new password of a verified ticket (R-RC-1). Checks every
    /// rule (R-PW-2), stores it, lifts a lock or deactivation (R-LO-2), ends
    /// every session (R-SE-2), sends a notice and writes the audit trail.
    /// Returns how many sessions ended.
    pub async fn complete_password_reset(
        &self,
        ticket: &ResetTicket,
        new_password: &str,
        confirmation: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<usize, IdentityError> {
        if !ticket.verified {
            return Err(IdentityError::CodeExpired);
        }
        let guard = self.guard()?;
        let account = self
            .accounts
            .get_account(ticket.account)
            .await?
            .ok_or(IdentityError::CodeExpired)?;
        self.check_new_password(&account, new_password).await?;
        if new_password != confirmation {
            return Err(IdentityError::PasswordConfirmationMismatch);
        }
        self.store_password(&account, new_password, false, "reset", context)
            .await?;
        let lifted = self.lift_lock_after_reset(&account, context).await?;
        let ended = self
            .end_sessions_of(
                account.id,
                None,
                SessionEndReason::CredentialChange,
                context,
            )
            .await?;
        let notice = self
            .notify_account(&account, "password_reset_notice", BTreeMap::new(), language)
            .await;
        let event = AuditEvent::new(
            AuditKind::PasswordReset,
            self.clock.now(),
            Some(account.id),
            &account.username,
            context,
        )
        .with_detail(format!(
            "channel={} lifted={} sessions_ended={} notice={}",
            ticket.channel.as_str(),
            lifted,
            ended.len(),
            notice
        ));
        guard.lockout.append_audit(&[event]).await?;
        Ok(ended.len())
    }

    /// Clears a running lock or a deactivation of the account's counter
    /// after a reset; returns what was lifted (`none`, `lock`,
    /// `deactivation`).
    async fn lift_lock_after_reset(
        &self,
        account: &Account,
        context: &RequestContext,
    ) -> Result<&'static str, IdentityError> {
        let guard = self.guard()?;
        let key = CounterKey::for_account(account.id, &account.username);
        let now = self.clock.now();
        let step = |state: LockState| match state {
            LockState::Deactivated { reason } => Transition {
                state: LockState::cleared(),
                failed_at: None,
                events: vec![
                    AuditEvent::new(
                        AuditKind::AccountReactivated,
                        now,
                        Some(account.id),
                        &account.username,
                        context,
                    )
                    .with_detail(format!("password_reset was={}", reason_text(reason))),
                ],
            },
            LockState::Locked { .. } => Transition {
                state: LockState::cleared(),
                failed_at: None,
                events: vec![
                    AuditEvent::new(
                        AuditKind::AccountUnlocked,
                        now,
                        Some(account.id),
                        &account.username,
                        context,
                    )
                    .with_detail("password_reset"),
                ],
            },
            other => Transition {
                state: other,
                failed_at: None,
                events: Vec::new(),
            },
        };
        let (before, _) = guard.lockout.update_lock_state(&key, &step).await?;
        Ok(match before {
            LockState::Deactivated { .. } => "deactivation",
            LockState::Locked { .. } => "lock",
            LockState::Open { .. } => "none",
        })
    }

    /// Forgot username (R-RC-2): sends the username to `email` when it is the
    /// verified address of exactly one account. Nothing tells the caller
    /// whether it was.
    pub async fn remind_username(
        &self,
        email: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let guard = self.guard()?;
        self.count_recovery_request(context).await?;
        let email = email.trim();
        let account = if email.contains('@') {
            self.accounts.find_by_verified_email(email).await?
        } else {
            None
        };
        let now = self.clock.now();
        let detail = match &account {
            Some(account) => {
                let mut params = BTreeMap::new();
                params.insert("username".to_owned(), account.username.clone());
                let sent = self
                    .send_message(
                        Some(account.id),
                        Channel::Email,
                        email,
                        "username_reminder",
                        params,
                        language,
                    )
                    .await;
                match sent {
                    Ok(()) => "outcome=sent".to_owned(),
                    Err(error) => format!("outcome=failed error={error}"),
                }
            }
            None => "outcome=unknown_address".to_owned(),
        };
        let event = AuditEvent::new(
            AuditKind::UsernameReminded,
            now,
            account.as_ref().map(|account| account.id),
            &account
                .as_ref()
                .map(|account| account.username.clone())
                .unwrap_or_default(),
            context,
        )
        .with_detail(detail);
        guard.lockout.append_audit(&[event]).await?;
        Ok(())
    }

    /// Sends a code to `to` under `purpose` (one challenge per account and
    /// purpose; a new one replaces the old) after the resend interval.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_to(
        &self,
        account: &Account,
        channel: Channel,
        to: &str,
        masked: &str,
        purpose: &str,
        template: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let otp = self.assurance().otp;
        let now = self.clock.now();
        if let Some(previous) = kit
            .challenges
            .current_challenge(account.id, purpose)
            .await?
            && previous.expires_at > now
        {
            let resend_at = previous.sent_at + otp.resend_after;
            if resend_at > now {
                return Err(IdentityError::ResendTooSoon { resend_at });
            }
        }
        let code = generate_numeric(otp.length);
        let challenge = CodeChallenge {
            id: pforte_crypto::random::random_token(),
            account_id: account.id,
            purpose: purpose.to_owned(),
            method: if channel == Channel::Sms {
                Method::SmsTan
            } else {
                Method::EmailCode
            },
            factor_id: None,
            code_digest: kit.codes.digest(purpose, &code),
            sent_at: now,
            expires_at: now + otp.validity,
            attempts_left: otp.max_attempts,
        };
        kit.challenges.put_challenge(&challenge).await?;
        let mut params = BTreeMap::new();
        params.insert("code".to_owned(), code);
        params.insert(
            "valid_minutes".to_owned(),
            otp.validity.num_minutes().max(1).to_string(),
        );
        self.send_message(Some(account.id), channel, to, template, params, language)
            .await?;
        let event = AuditEvent::new(
            AuditKind::CodeSent,
            now,
            Some(account.id),
            &account.username,
            context,
        )
        .with_detail(format!(
            "method={} purpose={} to={masked}",
            channel.as_str(),
            purpose.split(':').next().unwrap_or_default()
        ));
        self.guard()?.lockout.append_audit(&[event]).await?;
        Ok(())
    }

    /// Hands one message to the notifier.
    pub(crate) async fn send_message(
        &self,
        account: Option<AccountId>,
        channel: Channel,
        to: &str,
        template: &str,
        params: BTreeMap<String, String>,
        language: &str,
    ) -> Result<(), IdentityError> {
        let kit = self.kit()?;
        let message = OutboundMessage {
            id: uuid::Uuid::now_v7(),
            channel,
            to: to.to_owned(),
            template: template.to_owned(),
            language: language.to_owned(),
            params,
            account_id: account,
            created_at: self.clock.now(),
        };
        kit.notifier
            .send(&message)
            .await
            .map_err(|error| IdentityError::Delivery(error.to_string()))
    }

    /// A notice about a change to the account's verified e-mail address, or
    /// by SMS to its verified mobile number when it has no e-mail. Returns
    /// what happened for the audit detail (`email`, `sms`, `none`,
    /// `failed`): a notice that cannot be sent does not undo the change.
    pub(crate) async fn notify_account(
        &self,
        account: &Account,
        template: &str,
        params: BTreeMap<String, String>,
        language: &str,
    ) -> &'static str {
        let (channel, to, name) = match (
            destination(account, ResetChannel::Email),
            destination(account, ResetChannel::Sms),
        ) {
            (Some((to, _)), _) => (Channel::Email, to, "email"),
            (None, Some((to, _))) => (Channel::Sms, to, "sms"),
            (None, None) => return "none",
        };
        match self
            .send_message(Some(account.id), channel, &to, template, params, language)
            .await
        {
            Ok(()) => name,
            Err(_) => "failed",
        }
    }
}

fn channel_of(channel: ResetChannel) -> Channel {
    match channel {
        ResetChannel::Sms => Channel::Sms,
        ResetChannel::Email | ResetChannel::Letter | ResetChannel::LetterCode => Channel::Email,
    }
}

fn method_of(channel: ResetChannel) -> Method {
    match channel {
        ResetChannel::Sms => Method::SmsTan,
        ResetChannel::Email | ResetChannel::Letter | ResetChannel::LetterCode => Method::EmailCode,
    }
}
