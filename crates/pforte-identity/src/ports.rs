//! Storage ports of the identity domain, implemented by pforte-store.

use crate::account::Account;
use crate::audit::{AuditEvent, AuditQuery};
use crate::factor::{
    ChallengeAttempt, Channel, CodeChallenge, EnrolledFactor, FactorId, OutboundMessage,
};
use crate::session::{EndedSession, ProviderSession};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pforte_policy::{LockState, ThrottleKey, ThrottleLimit, WindowCounter};
use pforte_types::{AccountId, StoreError};
use std::time::Duration;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the username is taken
    /// (usernames compare case-insensitively).
    async fn insert_account(&self, account: &Account) -> Result<(), StoreError>;
    async fn get_account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;
    /// Case-insensitive lookup by username.
    async fn find_by_username(&self, username: &str) -> Result<Option<Account>, StoreError>;
    /// The one account whose *verified* e-mail address equals `email`, compared
    /// case-insensitively (R-ID-1: login by verified e-mail). An address that is
    /// unverified, unknown or verified on several accounts finds nothing, so a
    /// login by it is answered like an unknown name.
    async fn find_by_verified_email(&self, email: &str) -> Result<Option<Account>, StoreError>;
    async fn list_accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// Accounts whose username, e-mail address, given or family name contains
    /// `text` (case-insensitive), ordered by username, at most `limit` of
    /// them (the admin console's user search, R-OP-1). The default filters
    /// [`Self::list_accounts`]; the SQL store asks the database.
    async fn search_accounts(&self, text: &str, limit: u64) -> Result<Vec<Account>, StoreError> {
        let needle = text.trim().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let hit =
            |value: Option<&str>| value.is_some_and(|value| value.to_lowercase().contains(&needle));
        Ok(self
            .list_accounts()
            .await?
            .into_iter()
            .filter(|account| {
                hit(Some(&account.username))
                    || hit(account.email.as_deref())
                    || hit(account.given_name.as_deref())
                    || hit(account.family_name.as_deref())
            })
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }
    async fn set_password_hash(
        &self,
        id: AccountId,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// Provider (SSO) sessions. In process by default; Redis for several nodes.
///
/// A store keeps a session until [`ProviderSession::ends_at`] (the earlier of
/// its absolute end and its idle end, R-SE-1) and never returns one whose end
/// has passed.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores the session and indexes it under its account (R-SE-3).
    async fn put_session(&self, session: &ProviderSession) -> Result<(), StoreError>;
    async fn get_session(&self, sid: &str) -> Result<Option<ProviderSession>, StoreError>;
    /// Records a use at `at`: sets `last_seen_at` and moves the store's expiry
    /// to the new [`ProviderSession::ends_at`] (R-SE-1). Returns the updated
    /// session; `None` when it has ended (a session is never revived).
    async fn touch_session(
        &self,
        sid: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ProviderSession>, StoreError>;
    /// The live sessions of an account, in no particular order (R-SE-3). An
    /// index may hold entries of ended sessions; they are filtered out here.
    async fn sessions_of_account(
        &self,
        account: AccountId,
    ) -> Result<Vec<ProviderSession>, StoreError>;
    async fn delete_session(&self, sid: &str) -> Result<(), StoreError>;
    /// Records that `client_id` received tokens in this session (for logout).
    async fn add_session_client(&self, sid: &str, client_id: &str) -> Result<(), StoreError>;
}

/// Told after a provider session has ended, so that its relying parties can
/// be notified (OpenID Back-Channel Logout 1.0, R-SE-2). The session is
/// already deleted when this runs; a listener never fails the caller:
/// delivery problems are its own to retry, log and audit.
#[async_trait]
pub trait SessionEndListener: Send + Sync {
    async fn session_ended(&self, ended: &EndedSession);
}

/// Short-lived state between browser round trips (a pending authorization
/// request while the user logs in). Values expire after `ttl`.
#[async_trait]
pub trait EphemeralStore: Send + Sync {
    async fn put_ephemeral(&self, key: &str, value: &[u8], ttl: Duration)
    -> Result<(), StoreError>;
    async fn get_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Atomically removes and returns the value (single use).
    async fn take_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

/// The per-source failure counters of login throttling (R-LO-5): one
/// fixed-window counter per [`ThrottleKey`]. In process for one node
/// ([`crate::throttle::MemoryThrottleStore`]); in Redis when several nodes must
/// see one another's failures. The rules (when a window starts and ends, when a
/// source is refused) are `pforte_policy::lockout::throttle`'s; a store only
/// keeps the counters and counts atomically.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The counter of `key` as stored, `None` when there is none. The caller
    /// decides with the policy whether its window is still open.
    async fn throttle_counter(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<WindowCounter>, StoreError>;
    /// Counts one failure of `key` at `now` as
    /// `pforte_policy::lockout::throttle::record_failure` does (a window that
    /// has ended starts anew at `now`), atomically: parallel failures, on one
    /// node or many, are each counted once. Returns the counter after.
    async fn count_throttle_failure(
        &self,
        key: &ThrottleKey,
        limit: &ThrottleLimit,
        now: DateTime<Utc>,
    ) -> Result<WindowCounter, StoreError>;
}

/// The lockout counter of one login name (R-LO-1 … R-LO-4): an account's id for
/// known accounts, the normalised login name for unknown ones, so that unknown
/// names are counted and "locked" exactly like real ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey {
    /// `account:<uuid>` or `name:<normalised login name>`.
    pub key: String,
    pub account: Option<AccountId>,
    /// The normalised login name, kept for the operator's view.
    pub username: String,
}

impl CounterKey {
    pub fn for_account(account: AccountId, username: &str) -> Self {
        Self {
            key: format!("account:{account}"),
            account: Some(account),
            username: username.to_owned(),
        }
    }

    pub fn for_unknown_name(normalised: &str) -> Self {
        Self {
            key: format!("name:{normalised}"),
            account: None,
            username: normalised.to_owned(),
        }
    }
}

/// The new lock state a step computed, and the audit events of the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: LockState,
    /// Set when this step counted a failed attempt.
    pub failed_at: Option<DateTime<Utc>>,
    pub events: Vec<AuditEvent>,
}

/// The stored lock state of a counter, for operators (`pforte user show`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRecord {
    pub state: LockState,
    /// Consecutive failed logins since the last success; kept when the state
    /// turns deactivated, for the operator's view.
    pub failures: u32,
    pub last_failure_at: Option<DateTime<Utc>>,
}

/// A pure step over a lock state, run by the store under its row lock.
pub type LockStep<'a> = &'a (dyn Fn(LockState) -> Transition + Send + Sync);

/// Lockout counters and the audit trail (R-LO-3, R-LO-6).
#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// Atomically reads the counter's state (the default when there is none),
    /// applies `step` and writes the resulting state together with its audit
    /// events in one transaction. Concurrent calls for the same key are
    /// serialised (row lock), on one node or many, so every attempt sees the
    /// state the previous one left (R-LO-3). Returns the state before and
    /// after.
    async fn update_lock_state(
        &self,
        key: &CounterKey,
        step: LockStep<'_>,
    ) -> Result<(LockState, LockState), StoreError>;

    /// The stored state of a counter key; `None` when it never saw an attempt.
    async fn lock_record(&self, key: &str) -> Result<Option<LockRecord>, StoreError>;

    /// Appends events that change no state (e.g. a failed attempt whose
    /// counting was already reserved).
    async fn append_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError>;

    /// Events matching the query, oldest first (newest first when the query
    /// asks), at most `query.limit` of them.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;

    /// Deletes the counters of unknown login names that are neither locked nor
    /// deactivated and saw no failure since `idle_before`, so that names
    /// sprayed by an attacker do not pile up. Returns how many were deleted.
    async fn purge_idle_unknown_counters(
        &self,
        idle_before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// What the login needs to know about an account's password besides its hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordState {
    /// The password is an initial one and must be changed at the next login
    /// (R-PW-3).
    pub must_change: bool,
    /// Hashes of previous passwords, newest first (R-PW-2 history).
    pub history: Vec<String>,
}

/// Password state of accounts (R-PW-1 … R-PW-3).
#[async_trait]
pub trait CredentialStore: Send + Sync {
    async fn password_state(&self, id: AccountId) -> Result<PasswordState, StoreError>;

    /// Replaces the password in one transaction: the current hash moves into
    /// the history (which keeps at most `keep_history` entries), the new hash
    /// and the initial flag are stored and `events` are appended.
    async fn replace_password(
        &self,
        id: AccountId,
        new_hash: &str,
        must_change: bool,
        keep_history: usize,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;

    /// Replaces the hash of the same password made with old parameters
    /// (R-PW-1), with its audit event; the history is untouched.
    async fn rehash_password(
        &self,
        id: AccountId,
        new_hash: &str,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Marks or unmarks the password as initial (`pforte user add --initial`).
    async fn set_must_change_password(&self, id: AccountId, flag: bool) -> Result<(), StoreError>;
}

/// Enrolled second factors and recovery codes (R-MF-1 … R-MF-3).
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// Stores a new factor with its audit events in one transaction.
    async fn insert_factor(
        &self,
        factor: &EnrolledFactor,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// All factors of an account, confirmed or not, oldest first.
    async fn factors(&self, account: AccountId) -> Result<Vec<EnrolledFactor>, StoreError>;
    async fn factor(&self, id: FactorId) -> Result<Option<EnrolledFactor>, StoreError>;
    /// Marks a factor as proven once; with its audit events.
    async fn confirm_factor(
        &self,
        id: FactorId,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Deletes the factor when it belongs to `account`; false when it does not
    /// exist there.
    async fn remove_factor(
        &self,
        account: AccountId,
        id: FactorId,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError>;
    /// Renames the factor when it belongs to `account`.
    async fn rename_factor(
        &self,
        account: AccountId,
        id: FactorId,
        label: &str,
    ) -> Result<bool, StoreError>;
    /// Atomically stores `step` as the factor's last TOTP step when it is
    /// greater than the stored one, and sets `last_used_at`. False when the
    /// step was already used (or an older one): the code is a replay (R-MF-3).
    async fn advance_totp_step(
        &self,
        id: FactorId,
        step: u64,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Replaces the public data (a WebAuthn credential after its counter
    /// moved) and sets `last_used_at`.
    async fn update_public_data(
        &self,
        id: FactorId,
        public_data: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Sets `last_used_at` of a factor.
    async fn touch_factor(&self, id: FactorId, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Replaces the account's recovery codes by these digests (all unused),
    /// with the audit events.
    async fn replace_recovery_codes(
        &self,
        account: AccountId,
        digests: &[String],
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Atomically marks the unused code with this digest as used; false when
    /// there is none (wrong or already used).
    async fn consume_recovery_code(
        &self,
        account: AccountId,
        digest: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// How many unused recovery codes the account has.
    async fn recovery_codes_left(&self, account: AccountId) -> Result<usize, StoreError>;
}

/// One-time code challenges (R-MF-3): shared by all nodes, so that a code
/// sent by one node can be entered on another and attempts are exact.
#[async_trait]
pub trait ChallengeStore: Send + Sync {
    /// Stores the challenge, replacing any earlier one with the same
    /// `account_id` and `purpose` (a resent code voids the old one).
    async fn put_challenge(&self, challenge: &CodeChallenge) -> Result<(), StoreError>;
    /// The live challenge of this account and purpose, if any (for resend
    /// throttling and the "code sent to …" page).
    async fn current_challenge(
        &self,
        account: AccountId,
        purpose: &str,
    ) -> Result<Option<CodeChallenge>, StoreError>;
    /// Atomically checks an entered code's digest against the challenge of
    /// this account and purpose: a match consumes it, a miss uses up one try.
    async fn attempt_challenge(
        &self,
        account: AccountId,
        purpose: &str,
        code_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<ChallengeAttempt, StoreError>;
    /// Deletes challenges that expired before `before`.
    async fn purge_expired_challenges(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Why a message could not be handed to its channel.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The channel has no adapter configured (e.g. SMS without a gateway).
    #[error("no adapter is configured for {0}")]
    NoAdapter(&'static str),
    /// The gateway or server refused or could not be reached.
    #[error("sending failed: {0}")]
    Failed(String),
}

/// Sends a message to a user through the channel's adapter (SMTP, SMS
/// gateway, print batch, push) or the dev outbox. Implemented by
/// pforte-notify.
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError>;
}

/// A filter over the dev outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxQuery {
    pub channel: Option<Channel>,
    /// Exact recipient.
    pub to: Option<String>,
    pub account: Option<AccountId>,
    /// At most this many, newest first; `None` = all.
    pub limit: Option<u64>,
}

/// The dev outbox: every message the outbox adapter "sent", readable by the
/// admin console, the CLI and tests.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn append_outbox(&self, message: &OutboundMessage) -> Result<(), StoreError>;
    /// Messages matching the query, newest first.
    async fn outbox(&self, query: &OutboxQuery) -> Result<Vec<OutboundMessage>, StoreError>;
}

/// Contact data and terms acceptance of an account: what the required
/// actions at login change (R-RG-7, R-RG-2).
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The terms version the account accepted last, if any.
    async fn accepted_terms(&self, account: AccountId) -> Result<Option<String>, StoreError>;
    async fn accept_terms(
        &self,
        account: AccountId,
        version: &str,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Sets the e-mail address as verified.
    async fn set_verified_email(
        &self,
        account: AccountId,
        email: &str,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Sets the mobile number (E.164) as verified.
    async fn set_verified_phone(
        &self,
        account: AccountId,
        phone: &str,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Stores the sealed serial number of the member's health card (R-MF-4
    /// membership proof), replacing an earlier one.
    async fn set_card_serial_sealed(
        &self,
        account: AccountId,
        sealed: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The sealed health card serial, when the member data has one.
    async fn card_serial_sealed(&self, account: AccountId) -> Result<Option<Vec<u8>>, StoreError>;
}

/// The date of birth of an account, released as the OIDC `birthdate` claim
/// (OIDC Core 5.1) with the `profile` scope. Kept with the account's member
/// data, not in the account record.
#[async_trait]
pub trait BirthdateStore: Send + Sync {
    async fn set_birthdate(
        &self,
        account: AccountId,
        birthdate: chrono::NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn birthdate(&self, account: AccountId) -> Result<Option<chrono::NaiveDate>, StoreError>;
}

/// A member of the registry as stored (R-ID-4, R-OP-4): the KVNR only as a
/// keyed digest, the personal data sealed, the membership dates in clear for
/// the job that ends accounts with the membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMember {
    /// Keyed digest of the KVNR: the lookup key.
    pub kvnr_digest: String,
    /// The [`crate::member::Member`] as JSON, sealed with the master key and
    /// bound to `kvnr_digest`.
    pub sealed: Vec<u8>,
    /// Keyed digest of the member's content: equal digests mean unchanged.
    pub content_digest: String,
    pub membership_start: chrono::NaiveDate,
    pub membership_end: Option<chrono::NaiveDate>,
    /// For a co-insured person: the main member's `kvnr_digest` (R-FA-1).
    pub main_member_digest: Option<String>,
}

/// What an upsert of members changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// The member registry (R-ID-4, R-RG-1).
#[async_trait]
pub trait MemberStore: Send + Sync {
    /// Inserts or replaces the members by `kvnr_digest`, all in one
    /// transaction together with `event` (with the counts as its detail): an
    /// import is written completely or not at all. A member whose
    /// `content_digest` is unchanged is left as it is.
    async fn upsert_members(
        &self,
        members: &[StoredMember],
        at: DateTime<Utc>,
        event: AuditEvent,
    ) -> Result<UpsertCounts, StoreError>;
    async fn member(&self, kvnr_digest: &str) -> Result<Option<StoredMember>, StoreError>;
    async fn count_members(&self) -> Result<u64, StoreError>;
}

/// The account–member links and lifecycle stages of registered accounts
/// (R-ID-4, R-RG-1; [`crate::registration`]).
#[async_trait]
pub trait MemberLinkStore: Send + Sync {
    /// Creates the account and its link in one transaction, together with
    /// `events`. Fails with [`StoreError::Conflict`] when the username is
    /// taken or the member is already linked to an account (R-RG-1 "already
    /// registered").
    async fn insert_linked_account(
        &self,
        account: &Account,
        link: &crate::registration::MemberLink,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    async fn link_of_account(
        &self,
        account: AccountId,
    ) -> Result<Option<crate::registration::MemberLink>, StoreError>;
    async fn link_of_member(
        &self,
        kvnr_digest: &str,
    ) -> Result<Option<crate::registration::MemberLink>, StoreError>;
    /// Moves the account to `stage` (setting `activated_at` on the first
    /// move to `Active`) and records `proofing`, with `events`, in one
    /// transaction. Changes nothing when the account has no link (callers read
    /// the link first).
    async fn set_stage(
        &self,
        account: AccountId,
        stage: crate::registration::Stage,
        proofing: crate::registration::Proofing,
        at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Links whose member's membership has ended before `day` (its
    /// `membership_end` < `day`) or not yet begun, and whose stage is not
    /// `membership_ended` yet: the work list of the membership-end job
    /// (R-ID-4).
    async fn links_with_membership_over(
        &self,
        day: chrono::NaiveDate,
    ) -> Result<Vec<crate::registration::MemberLink>, StoreError>;
    /// Links in `membership_ended` whose member is a member again on `day`
    /// (a later import restarted the membership): the job moves them back
    /// (R-ID-4).
    async fn links_with_membership_restarted(
        &self,
        day: chrono::NaiveDate,
    ) -> Result<Vec<crate::registration::MemberLink>, StoreError>;
}

/// A letter by post as the print queue stores it (R-RG-4, R-PW-3; R-OP-4):
/// the postal address and the parameters (codes, initial passwords) only
/// sealed, bound to the letter's id; kind, language and account in clear so
/// that the queue can be listed and superseded without opening anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLetter {
    pub id: uuid::Uuid,
    pub account_id: Option<AccountId>,
    /// The message template, e.g. `activation_letter`.
    pub template: String,
    pub language: String,
    /// [`crate::letters::LetterContent`] as JSON, sealed with the master key
    /// and bound to `id`.
    pub sealed: Vec<u8>,
    pub created_at: DateTime<Utc>,
    /// When the letter went into a print batch; `None` while pending.
    pub exported_at: Option<DateTime<Utc>>,
    pub batch_id: Option<uuid::Uuid>,
}

/// The print queue of letters by post ([`crate::letters`]).
#[async_trait]
pub trait LetterStore: Send + Sync {
    /// Queues the letter. With `supersede`, pending letters of the same
    /// account and template are removed in the same transaction: a new
    /// activation code or initial password makes the old one worthless, and
    /// printing it would only confuse (R-RG-4 "old one invalid").
    async fn queue_letter(&self, letter: &StoredLetter, supersede: bool) -> Result<(), StoreError>;
    /// Every letter not yet exported, oldest first (then by id).
    async fn pending_letters(&self) -> Result<Vec<StoredLetter>, StoreError>;
    /// The letters of an account, pending and exported, newest first.
    async fn letters_of_account(&self, account: AccountId)
    -> Result<Vec<StoredLetter>, StoreError>;
    /// Marks the letters exported in `batch` at `at`, with `event`, in one
    /// transaction. Fails with [`StoreError::Conflict`] and changes nothing
    /// when any of them is no longer pending (another export took it), so a
    /// letter is in exactly one batch.
    async fn mark_letters_exported(
        &self,
        ids: &[uuid::Uuid],
        batch: uuid::Uuid,
        at: DateTime<Utc>,
        event: AuditEvent,
    ) -> Result<(), StoreError>;
}

/// Erasure of an account by its owner or an operator (R-RC-4).
#[async_trait]
pub trait AccountErasureStore: Send + Sync {
    /// In one transaction: deletes the account with its password and
    /// password history, second factors, recovery codes, pending code
    /// challenges, terms acceptances, member data and lockout counter;
    /// replaces the username in the account's audit events (by account id,
    /// and events of the same login name without one) by `pseudonym`; and
    /// appends `events`. False when the account did not exist.
    async fn erase_account(
        &self,
        account: AccountId,
        username: &str,
        pseudonym: &str,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError>;
}

/// The facts that may keep an account from being deleted (R-RC-4,
/// [`crate::deletion`]).
#[async_trait]
pub trait DependantsProbe: Send + Sync {
    /// How many co-insured people whose main member is this account's member
    /// have an account of their own (R-FA-1).
    async fn co_insured_with_accounts(&self, account: AccountId) -> Result<u32, StoreError>;
}

/// What an entered activation code met (R-RG-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivationAttempt {
    /// The code matched; it is gone now (single use).
    Matched,
    /// Another code is valid for the account.
    Wrong,
    /// The account's code expired (it is deleted).
    Expired,
    /// No code was issued for the account (or it was used).
    NoCode,
}

/// The digests of activation codes sent by post (R-RG-4): at most one valid
/// code per account, stored only as its keyed digest.
#[async_trait]
pub trait ActivationCodeStore: Send + Sync {
    /// Stores the account's new code, replacing (and so voiding) an earlier
    /// one, with `events`, in one transaction.
    async fn put_activation_code(
        &self,
        account: AccountId,
        code_digest: &str,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Compares `code_digest` with the account's code at `now` and deletes
    /// it when it matched or expired, in one statement each, so a code is
    /// used once even by parallel requests.
    async fn attempt_activation_code(
        &self,
        account: AccountId,
        code_digest: &str,
        now: DateTime<Utc>,
    ) -> Result<ActivationAttempt, StoreError>;
}

/// An agent's invitation to register (R-RG-6), as stored: only the keyed
/// digest of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvitation {
    pub token_digest: String,
    /// The member it is bound to.
    pub kvnr_digest: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// The account the invitation produced.
    pub account_id: Option<AccountId>,
}

/// Agents' single-use registration links (R-RG-6).
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Stores a new invitation with `events` in one transaction.
    async fn insert_invitation(
        &self,
        invitation: &StoredInvitation,
        events: &[AuditEvent],
    ) -> Result<(), StoreError>;
    async fn invitation(&self, token_digest: &str) -> Result<Option<StoredInvitation>, StoreError>;
    /// Marks the invitation used by `account` when it is unused and not
    /// expired at `at`, in one conditional statement; `false` otherwise.
    async fn use_invitation(
        &self,
        token_digest: &str,
        account: AccountId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
