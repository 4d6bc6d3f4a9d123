//! Self-registration and activation (R-RG-1…4, R-RG-6): the async half
//! around the pure [`decision`](super::decision).
//!
//! `register` checks the form, creates the account and its member link in
//! one transaction (stage `email_unconfirmed`) and sends an e-mail code
//! (R-RG-3, the code challenges of second factors under the purpose
//! `register-email`). `confirm_email` checks it; a letter registration then
//! waits for its activation code (stage `awaiting_activation`) and a letter
//! is handed to the notifier (R-RG-4); an agent's invitation is active at
//! once (R-RG-6). `activate` takes the code from the letter at the next
//! login.
//!
//! Every registration attempt does the same work whatever the member data
//! (the KVNR digest, one registry read, one Argon2 hash of the password),
//! and refused member checks count against the per-IP throttle of the login
//! (R-LO-5), so the form is no oracle for harvesting member data.

mod reset_letter;

use super::decision::{self, Claimed, Refusal};
use super::{MemberLink, Proofing, Stage};
use crate::account::Account;
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::factor::{ChallengeAttempt, Channel, CodeChallenge, OutboundMessage};
use crate::member::{Member, MemberRegistry};
use crate::ports::{
    ActivationAttempt, ActivationCodeStore, InvitationStore, MemberLinkStore, StoredInvitation,
};
use crate::service::{IdentityError, IdentityService};
use chrono::NaiveDate;
use pforte_factors::activation;
use pforte_factors::code::{generate_numeric, normalise_digits};
use pforte_policy::{
    Kvnr, KvnrError, PasswordContext, PasswordViolation, ThrottleDecision, UsernameChoice,
};
use pforte_types::{AccountId, Method, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The purpose the e-mail confirmation code of a registration is bound to.
pub const EMAIL_CODE_PURPOSE: &str = "register-email";

/// What the registration form sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationForm {
    pub kvnr: String,
    pub birth_date: NaiveDate,
    pub postal_code: String,
    /// Only read when the policy lets members choose (R-RG-1).
    pub username: Option<String>,
    pub password: String,
    pub email: String,
    /// The terms version the person accepted on the form (R-RG-2).
    pub accepted_terms: Option<String>,
}

/// Why a registration or an activation step failed; each has its own
/// message key ([`RegistrationError::message_key`]).
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{0}")]
    Kvnr(KvnrError),
    #[error("registration refused: {}", .0.audit_detail())]
    Refused(Refusal),
    #[error("the password breaks {} rule(s)", .0.len())]
    Password(Vec<PasswordViolation>),
    #[error("the username is not allowed")]
    UsernameInvalid,
    #[error("the username is taken")]
    UsernameTaken,
    #[error("not an e-mail address")]
    EmailInvalid,
    #[error("the terms were not accepted")]
    TermsNotAccepted,
    #[error("too many attempts from this address")]
    Throttled,
    #[error("the code is wrong")]
    WrongCode,
    #[error("the code is no longer valid")]
    CodeExpired,
    /// The member record has no street or town: no letter can be sent.
    #[error("no postal address for a letter")]
    NoPostalAddress,
    /// The account is not at the stage this step belongs to.
    #[error("this step does not apply to the account")]
    WrongStage,
    /// The insurer's member lookup (`[members] lookup_url`) could not
    /// answer: the user is asked to try again later (never "not a member").
    #[error("the membership cannot be checked now: {0}")]
    LookupUnavailable(String),
    /// The invitation link is unknown, used or expired (R-RG-6).
    #[error("the invitation is not valid")]
    InvitationInvalid,
    /// The KVNR of an invitation is not in the member registry.
    #[error("no member with this insurance number")]
    UnknownMember,
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl From<StoreError> for RegistrationError {
    fn from(error: StoreError) -> Self {
        Self::Identity(IdentityError::Store(error))
    }
}

impl From<crate::member::MemberError> for RegistrationError {
    fn from(error: crate::member::MemberError) -> Self {
        match error {
            crate::member::MemberError::Store(error) => error.into(),
            other => Self::Identity(IdentityError::Sealing(other.to_string())),
        }
    }
}

impl RegistrationError {
    /// The message key shown to the user (themes/base/i18n).
    pub fn message_key(&self) -> &'static str {
        match self {
            RegistrationError::Kvnr(KvnrError::CheckDigit { .. }) => "register_error_check_digit",
            RegistrationError::Kvnr(_) => "register_error_kvnr_format",
            RegistrationError::Refused(refusal) => refusal.message_key(),
            RegistrationError::Password(_) => "register_error_password",
            RegistrationError::UsernameInvalid => "register_error_username_invalid",
            RegistrationError::UsernameTaken => "register_error_username_taken",
            RegistrationError::EmailInvalid => "register_error_email",
            RegistrationError::TermsNotAccepted => "register_error_terms",
            RegistrationError::Throttled => "register_error_throttled",
            RegistrationError::WrongCode => "register_error_wrong_code",
            RegistrationError::CodeExpired => "register_error_code_expired",
            RegistrationError::NoPostalAddress => "register_error_no_postal_address",
            RegistrationError::WrongStage => "register_error_wrong_stage",
            RegistrationError::LookupUnavailable(_) => "member_lookup_try_later",
            RegistrationError::InvitationInvalid => "register_error_invitation",
            RegistrationError::UnknownMember => "register_error_no_match",
            RegistrationError::Identity(_) => "error_internal",
        }
    }
}

/// A registered account, ready for its e-mail confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub account_id: AccountId,
    pub username: String,
    pub email: String,
}

/// The next step after a confirmed e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// A letter with the activation code is on its way.
    LetterSent { valid_until: NaiveDate },
    /// Proven by an agent's invitation: the account is active (R-RG-6).
    Active,
}

/// Registration and activation on top of the identity service.
pub struct Registrar {
    identity: Arc<IdentityService>,
    members: Arc<MemberRegistry>,
    links: Arc<dyn MemberLinkStore>,
    codes: Arc<dyn ActivationCodeStore>,
    invitations: Arc<dyn InvitationStore>,
}

/// The purpose of the keyed digest of an invitation token.
const INVITATION_PURPOSE: &str = "invitation";

/// What an agent's invitation link brings to the form (R-RG-6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitedMember {
    pub kvnr: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    pub postal_code: String,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Registrar").finish_non_exhaustive()
    }
}

impl Registrar {
    pub fn new(
        identity: Arc<IdentityService>,
        members: Arc<MemberRegistry>,
        links: Arc<dyn MemberLinkStore>,
        codes: Arc<dyn ActivationCodeStore>,
        invitations: Arc<dyn InvitationStore>,
    ) -> Self {
        Self {
            identity,
            members,
            links,
            codes,
            invitations,
        }
    }

    /// Creates a single-use invitation link token for the member with this
    /// KVNR, valid for `valid_days` (R-RG-6). Only the token's keyed digest
    /// is stored; the token itself is returned once, for the link.
    pub async fn create_invitation(
        &self,
        kvnr: &str,
        valid_days: u32,
        context: &RequestContext,
    ) -> Result<(String, chrono::DateTime<chrono::Utc>), RegistrationError> {
        let kvnr = Kvnr::parse(kvnr).map_err(RegistrationError::Kvnr)?;
        if self.members.find(&kvnr).await?.is_none() {
            return Err(RegistrationError::UnknownMember);
        }
        let kit = self.identity.kit()?;
        let now = self.identity.clock.now();
        let token = pforte_crypto::random::random_token();
        let expires_at = now + chrono::TimeDelta::days(i64::from(valid_days.max(1)));
        let invitation = StoredInvitation {
            token_digest: kit.codes.digest(INVITATION_PURPOSE, &token),
            kvnr_digest: self.members.kvnr_digest(&kvnr),
            created_at: now,
            expires_at,
            used_at: None,
            account_id: None,
        };
        let event = AuditEvent {
            operator: None,
            at: now,
            kind: AuditKind::InvitationCreated,
            account: None,
            username: None,
            client: context.client_id.clone(),
            ip: context.ip.map(|ip| ip.to_string()),
            user_agent: context.user_agent.clone(),
            request_id: context.request_id.clone(),
            detail: Some(format!("valid_until={}", expires_at.date_naive())),
        };
        self.invitations
            .insert_invitation(&invitation, &[event])
            .await?;
        Ok((token, expires_at))
    }

    /// The account an invitation produced (for its e-mail confirmation).
    pub async fn invited_account(&self, token: &str) -> Result<Option<AccountId>, IdentityError> {
        let kit = self.identity.kit()?;
        let digest = kit.codes.digest(INVITATION_PURPOSE, token.trim());
        Ok(self
            .invitations
            .invitation(&digest)
            .await?
            .and_then(|invitation| invitation.account_id))
    }

    /// The member behind a valid (known, unused, unexpired) invitation token.
    pub async fn invited_member(&self, token: &str) -> Result<InvitedMember, RegistrationError> {
        let (_, member) = self.valid_invitation(token).await?;
        Ok(InvitedMember {
            kvnr: member.kvnr.as_str().to_owned(),
            given_name: member.given_name,
            family_name: member.family_name,
            birth_date: member.birth_date,
            postal_code: member.postal_code,
        })
    }

    async fn valid_invitation(
        &self,
        token: &str,
    ) -> Result<(StoredInvitation, Member), RegistrationError> {
        let kit = self.identity.kit()?;
        let digest = kit.codes.digest(INVITATION_PURPOSE, token.trim());
        let now = self.identity.clock.now();
        let invitation = self
            .invitations
            .invitation(&digest)
            .await?
            .filter(|invitation| invitation.used_at.is_none() && invitation.expires_at > now)
            .ok_or(RegistrationError::InvitationInvalid)?;
        let member = self
            .members
            .find_by_digest(&invitation.kvnr_digest)
            .await?
            .ok_or(RegistrationError::InvitationInvalid)?;
        Ok((invitation, member))
    }

    /// Registers through an agent's invitation (R-RG-6): the member data come
    /// from the invitation, the account's proofing is `agent` and it becomes
    /// active with the e-mail confirmation, without a letter. The invitation
    /// is used by the account (the member link's uniqueness already allows
    /// only one account per member).
    pub async fn register_invited(
        &self,
        token: &str,
        form: &RegistrationForm,
        language: &str,
        context: &RequestContext,
    ) -> Result<Registered, RegistrationError> {
        let (invitation, member) = self.valid_invitation(token).await?;
        let application = RegistrationForm {
            kvnr: member.kvnr.as_str().to_owned(),
            birth_date: member.birth_date,
            postal_code: member.postal_code.clone(),
            ..form.clone()
        };
        let registered = self
            .register(&application, Proofing::Agent, language, context)
            .await?;
        self.invitations
            .use_invitation(
                &invitation.token_digest,
                registered.account_id,
                self.identity.clock.now(),
            )
            .await?;
        Ok(registered)
    }

    /// The registration settings of the tenant (defaults without a policy).
    pub fn policy(&self) -> pforte_policy::RegistrationPolicy {
        self.identity
            .policy()
            .map(|policy| policy.registration)
            .unwrap_or_default()
    }

    /// The terms version in force, if the tenant has one (R-RG-2).
    pub fn terms_version(&self) -> Option<String> {
        self.identity.assurance().terms_version
    }

    fn event(
        &self,
        kind: AuditKind,
        account: AccountId,
        username: &str,
        context: &RequestContext,
        detail: impl Into<String>,
    ) -> AuditEvent {
        AuditEvent::new(
            kind,
            self.identity.clock.now(),
            Some(account),
            username,
            context,
        )
        .with_detail(detail.into())
    }

    /// Checks the form and creates the account (see the module docs). Every
    /// refusal is audited as `registration_refused` (R-RG-1).
    pub async fn register(
        &self,
        form: &RegistrationForm,
        proofing: Proofing,
        language: &str,
        context: &RequestContext,
    ) -> Result<Registered, RegistrationError> {
        let result = self
            .register_checked(form, proofing, language, context)
            .await;
        if let Err(error) = &result
            && let Some(detail) = refusal_detail(error)
        {
            // No account and no name: the KVNR, birth date and postal code
            // entered stay out of the trail; only the reason is kept.
            let event = AuditEvent::new(
                AuditKind::RegistrationRefused,
                self.identity.clock.now(),
                None,
                "",
                context,
            )
            .with_detail(detail);
            self.identity
                .guard()?
                .lockout
                .append_audit(&[event])
                .await?;
        }
        result
    }

    async fn register_checked(
        &self,
        form: &RegistrationForm,
        proofing: Proofing,
        language: &str,
        context: &RequestContext,
    ) -> Result<Registered, RegistrationError> {
        let guard = self.identity.guard()?;
        let now = self.identity.clock.now();
        if let Some(ip) = context.ip
            && let ThrottleDecision::Throttle { .. } = self
                .identity
                .throttle
                .check(&guard.policy.throttle, ip, now)
                .await?
        {
            return Err(RegistrationError::Throttled);
        }
        let kvnr = Kvnr::parse_with(&form.kvnr, guard.policy.identifiers.kvnr)
            .map_err(RegistrationError::Kvnr)?;
        let policy = self.policy();
        if let Some(version) = self.terms_version()
            && form.accepted_terms.as_deref() != Some(version.as_str())
        {
            return Err(RegistrationError::TermsNotAccepted);
        }
        let email = form.email.trim().to_owned();
        if !crate::enrol::plausible_email(&email) {
            return Err(RegistrationError::EmailInvalid);
        }
        let username = match policy.username {
            UsernameChoice::Kvnr => kvnr.as_str().to_owned(),
            UsernameChoice::Choose => {
                let chosen = form
                    .username
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let length = chosen.chars().count();
                let identifiers = &guard.policy.identifiers;
                if length < identifiers.username_min_length
                    || length > identifiers.username_max_length
                    || chosen.chars().any(|c| c.is_whitespace() || c.is_control())
                    || Kvnr::parse(&chosen).is_ok()
                {
                    return Err(RegistrationError::UsernameInvalid);
                }
                chosen
            }
        };
        // The same work on every path: digest, one read, one Argon2 hash.
        let digest = self.members.kvnr_digest(&kvnr);
        // Imported members first; the insurer's lookup (when configured)
        // for a KVNR the registry does not hold.
        let member = match self.members.find_or_lookup(&kvnr, context).await {
            Ok(member) => member,
            Err(crate::member::lookup::LookupError::Registry(error)) => return Err(error.into()),
            Err(crate::member::lookup::LookupError::Unavailable(error)) => {
                return Err(RegistrationError::LookupUnavailable(error.to_string()));
            }
        };
        let linked = self.links.link_of_member(&digest).await?.is_some();
        let password_hash = self
            .identity
            .hasher
            .hash(&form.password)
            .await
            .map_err(IdentityError::from)?;
        let claimed = Claimed {
            birth_date: form.birth_date,
            postal_code: &form.postal_code,
        };
        if let Err(refusal) =
            decision::decide(&policy, &claimed, member.as_ref(), linked, now.date_naive())
        {
            if matches!(
                refusal,
                Refusal::UnknownMember | Refusal::PostalCodeMismatch | Refusal::BirthDateMismatch
            ) && let Some(ip) = context.ip
            {
                self.identity
                    .throttle
                    .record_failure(&guard.policy.throttle, ip, now)
                    .await?;
            }
            return Err(RegistrationError::Refused(refusal));
        }
        let Some(member) = member else {
            return Err(RegistrationError::Refused(Refusal::UnknownMember));
        };
        // In its own scope: the password context is not `Send` and must not
        // live across an await.
        {
            let second_factor = false;
            let usernames = [username.as_str(), kvnr.as_str()];
            let password_context = PasswordContext {
                usernames: &usernames,
                email: Some(&email),
                second_factor,
                history: None,
            };
            guard
                .policy
                .password
                .evaluate(&form.password, &password_context)
                .map_err(RegistrationError::Password)?;
        }
        let account = Account {
            id: AccountId::new(),
            username: username.clone(),
            password_hash,
            email: Some(email.clone()),
            email_verified: false,
            given_name: Some(member.given_name.clone()),
            family_name: Some(member.family_name.clone()),
            phone: None,
            phone_verified: false,
            totp_secret_encrypted: None,
            created_at: now,
            updated_at: now,
        };
        let link = MemberLink {
            account_id: account.id,
            kvnr_digest: digest.clone(),
            stage: Stage::EmailUnconfirmed,
            proofing,
            registered_at: now,
            activated_at: None,
            updated_at: now,
        };
        let registered = self.event(
            AuditKind::AccountRegistered,
            account.id,
            &username,
            context,
            format!("proofing={}", proofing.as_str()),
        );
        match self
            .links
            .insert_linked_account(&account, &link, &[registered])
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                // Decide which uniqueness failed: the member, or the name.
                return Err(if self.links.link_of_member(&digest).await?.is_some() {
                    RegistrationError::Refused(Refusal::AlreadyRegistered)
                } else {
                    RegistrationError::UsernameTaken
                });
            }
            Err(error) => return Err(error.into()),
        }
        if let Some(version) = self.terms_version() {
            let kit = self.identity.kit()?;
            let accepted = self.event(
                AuditKind::TermsAccepted,
                account.id,
                &username,
                context,
                format!("version={version} at=registration"),
            );
            kit.profiles
                .accept_terms(account.id, &version, now, &[accepted])
                .await?;
        }
        self.send_email_code(account.id, &username, &email, language, context)
            .await?;
        Ok(Registered {
            account_id: account.id,
            username,
            email,
        })
    }

    /// Sends (again) the e-mail confirmation code of a registration.
    pub async fn send_email_code(
        &self,
        account: AccountId,
        username: &str,
        email: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<(), RegistrationError> {
        let kit = self.identity.kit()?;
        let otp = self.identity.assurance().otp;
        let now = self.identity.clock.now();
        let code = generate_numeric(otp.length);
        let challenge = CodeChallenge {
            id: pforte_crypto::random::random_token(),
            account_id: account,
            purpose: EMAIL_CODE_PURPOSE.to_owned(),
            method: Method::EmailCode,
            factor_id: None,
            code_digest: kit.codes.digest(EMAIL_CODE_PURPOSE, &code),
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
        let message = OutboundMessage {
            id: uuid::Uuid::now_v7(),
            channel: Channel::Email,
            to: email.to_owned(),
            template: "contact_code".to_owned(),
            language: language.to_owned(),
            params,
            account_id: Some(account),
            created_at: now,
        };
        kit.notifier
            .send(&message)
            .await
            .map_err(|error| IdentityError::Delivery(error.to_string()))?;
        let sent = self.event(
            AuditKind::CodeSent,
            account,
            username,
            context,
            format!(
                "method=email_code purpose={EMAIL_CODE_PURPOSE} to={}",
                pforte_factors::phone::mask_email(email)
            ),
        );
        self.identity.guard()?.lockout.append_audit(&[sent]).await?;
        Ok(())
    }

    /// The link of `account`, which must be at `stage`.
    /// The member link of an account (R-OP-1: the operator's detail view);
    /// `None` for an account without registration.
    pub async fn link_of_account(
        &self,
        account: AccountId,
    ) -> Result<Option<MemberLink>, IdentityError> {
        Ok(self.links.link_of_account(account).await?)
    }

    /// The account linked to the member with this KVNR (R-OP-1: search by
    /// KVNR); `None` when the text is no KVNR or no account is linked.
    pub async fn account_of_kvnr(&self, kvnr: &str) -> Result<Option<AccountId>, IdentityError> {
        let Ok(kvnr) = Kvnr::parse(kvnr) else {
            return Ok(None);
        };
        let digest = self.members.kvnr_digest(&kvnr);
        Ok(self
            .links
            .link_of_member(&digest)
            .await?
            .map(|link| link.account_id))
    }

    async fn link_at(
        &self,
        account: AccountId,
        stage: Stage,
    ) -> Result<MemberLink, RegistrationError> {
        match self.links.link_of_account(account).await? {
            Some(link) if link.stage == stage => Ok(link),
            _ => Err(RegistrationError::WrongStage),
        }
    }

    /// Checks the e-mail code (R-RG-3) and takes the account to its next
    /// stage: the letter (R-RG-4) or, for an agent's invitation, active.
    pub async fn confirm_email(
        &self,
        account: AccountId,
        code: &str,
        language: &str,
        context: &RequestContext,
    ) -> Result<Confirmed, RegistrationError> {
        let link = self.link_at(account, Stage::EmailUnconfirmed).await?;
        let kit = self.identity.kit()?;
        let length = self.identity.assurance().otp.length;
        let now = self.identity.clock.now();
        let attempt = match normalise_digits(code, Some(length)) {
            Ok(code) => {
                let digest = kit.codes.digest(EMAIL_CODE_PURPOSE, &code);
                kit.challenges
                    .attempt_challenge(account, EMAIL_CODE_PURPOSE, &digest, now)
                    .await?
            }
            Err(_) => ChallengeAttempt::Wrong {
                attempts_left: u32::MAX,
            },
        };
        match attempt {
            ChallengeAttempt::Matched => {}
            ChallengeAttempt::Wrong { .. } => return Err(RegistrationError::WrongCode),
            _ => return Err(RegistrationError::CodeExpired),
        }
        let holder = self
            .identity
            .account(account)
            .await?
            .ok_or(IdentityError::UnknownAccount(account.to_string()))?;
        let email = holder.email.clone().unwrap_or_default();
        let verified = self.event(
            AuditKind::ContactVerified,
            account,
            &holder.username,
            context,
            "email at=registration",
        );
        kit.profiles
            .set_verified_email(account, &email, now, &[verified])
            .await?;
        if link.proofing == Proofing::Agent {
            let events = [
                self.event(
                    AuditKind::RegistrationEmailConfirmed,
                    account,
                    &holder.username,
                    context,
                    "next=active",
                ),
                self.event(
                    AuditKind::AccountActivated,
                    account,
                    &holder.username,
                    context,
                    "proofing=agent",
                ),
            ];
            self.links
                .set_stage(account, Stage::Active, Proofing::Agent, now, &events)
                .await?;
            return Ok(Confirmed::Active);
        }
        let confirmed = self.event(
            AuditKind::RegistrationEmailConfirmed,
            account,
            &holder.username,
            context,
            "next=awaiting_activation",
        );
        self.links
            .set_stage(
                account,
                Stage::AwaitingActivation,
                link.proofing,
                now,
                &[confirmed],
            )
            .await?;
        let valid_until = self
            .send_activation_letter(account, language, context, "first")
            .await?;
        Ok(Confirmed::LetterSent { valid_until })
    }

    /// Issues a new activation code and hands its letter to the notifier
    /// (R-RG-4); an earlier code of the account is void from now on. Only for
    /// an account waiting for its activation.
    pub async fn request_new_letter(
        &self,
        account: AccountId,
        language: &str,
        context: &RequestContext,
    ) -> Result<NaiveDate, RegistrationError> {
        self.link_at(account, Stage::AwaitingActivation).await?;
        self.send_activation_letter(account, language, context, "renewed")
            .await
    }

    async fn send_activation_letter(
        &self,
        account: AccountId,
        language: &str,
        context: &RequestContext,
        detail: &str,
    ) -> Result<NaiveDate, RegistrationError> {
        let link = self
            .links
            .link_of_account(account)
            .await?
            .ok_or(RegistrationError::WrongStage)?;
        let member: Member = self
            .members
            .find_by_digest(&link.kvnr_digest)
            .await?
            .ok_or(RegistrationError::NoPostalAddress)?;
        let address = member
            .postal_address_lines()
            .ok_or(RegistrationError::NoPostalAddress)?;
        let username = self
            .identity
            .account(account)
            .await?
            .map(|holder| holder.username)
            .unwrap_or_default();
        let kit = self.identity.kit()?;
        let now = self.identity.clock.now();
        let expires_at = now + self.policy().activation_code_validity;
        let valid_until = expires_at.date_naive();
        let code = activation::generate();
        let digest = activation::digest(&kit.codes, &account.to_string(), &code)
            .map_err(|error| IdentityError::Sealing(error.to_string()))?;
        let requested = self.event(
            AuditKind::ActivationLetterRequested,
            account,
            &username,
            context,
            format!("{detail} valid_until={valid_until}"),
        );
        self.codes
            .put_activation_code(account, &digest, now, expires_at, &[requested])
            .await?;
        let mut params = BTreeMap::new();
        params.insert("code".to_owned(), code);
        params.insert("valid_until".to_owned(), valid_until.to_string());
        params.insert("given_name".to_owned(), member.given_name.clone());
        params.insert("family_name".to_owned(), member.family_name.clone());
        let message = OutboundMessage {
            id: uuid::Uuid::now_v7(),
            channel: Channel::Letter,
            to: address.join("\n"),
            template: "activation_letter".to_owned(),
            language: language.to_owned(),
            params,
            account_id: Some(account),
            created_at: now,
        };
        kit.notifier
            .send(&message)
            .await
            .map_err(|error| IdentityError::Delivery(error.to_string()))?;
        Ok(valid_until)
    }

    /// Checks the code from the letter at login (R-RG-4): single use; the
    /// account becomes active.
    pub async fn activate(
        &self,
        account: AccountId,
        code: &str,
        context: &RequestContext,
    ) -> Result<(), RegistrationError> {
        let link = self.link_at(account, Stage::AwaitingActivation).await?;
        let kit = self.identity.kit()?;
        let now = self.identity.clock.now();
        let username = self
            .identity
            .account(account)
            .await?
            .map(|holder| holder.username)
            .unwrap_or_default();
        let attempt = match activation::digest(&kit.codes, &account.to_string(), code) {
            Ok(digest) => {
                self.codes
                    .attempt_activation_code(account, &digest, now)
                    .await?
            }
            Err(_) => {
                let failed = self.event(
                    AuditKind::ActivationCodeFailed,
                    account,
                    &username,
                    context,
                    "malformed",
                );
                self.identity
                    .guard()?
                    .lockout
                    .append_audit(&[failed])
                    .await?;
                return Err(RegistrationError::WrongCode);
            }
        };
        let failure = match attempt {
            ActivationAttempt::Matched => None,
            ActivationAttempt::Wrong => Some(("wrong_code", RegistrationError::WrongCode)),
            ActivationAttempt::Expired => Some(("expired", RegistrationError::CodeExpired)),
            ActivationAttempt::NoCode => Some(("no_code", RegistrationError::CodeExpired)),
        };
        if let Some((detail, error)) = failure {
            let failed = self.event(
                AuditKind::ActivationCodeFailed,
                account,
                &username,
                context,
                detail,
            );
            self.identity
                .guard()?
                .lockout
                .append_audit(&[failed])
                .await?;
            return Err(error);
        }
        let activated = self.event(
            AuditKind::AccountActivated,
            account,
            &username,
            context,
            format!("proofing={}", link.proofing.as_str()),
        );
        self.links
            .set_stage(account, Stage::Active, link.proofing, now, &[activated])
            .await?;
        Ok(())
    }
}

/// The audit detail of a refused registration: the decision's reason, or the
/// message key of a form error. `None` for errors that are not a refusal
/// (store, delivery), which are logged as such.
fn refusal_detail(error: &RegistrationError) -> Option<String> {
    match error {
        RegistrationError::Refused(refusal) => Some(refusal.audit_detail()),
        RegistrationError::Kvnr(_)
        | RegistrationError::Password(_)
        | RegistrationError::UsernameInvalid
        | RegistrationError::UsernameTaken
        | RegistrationError::EmailInvalid
        | RegistrationError::TermsNotAccepted
        | RegistrationError::Throttled
        | RegistrationError::LookupUnavailable(_) => Some(format!("form={}", error.message_key())),
        _ => None,
    }
}
