//! The optional lookup of a member in the insurer's system (issue 5 "member
//! registry": an alternative to the import). When a KVNR typed into the
//! registration form is not in the registry, [`MemberRegistry::find_or_lookup`]
//! asks the [`MemberLookup`] port (pforte-server implements it over HTTP,
//! docs/integration/ident.md), checks the answer exactly like an import row,
//! stores it sealed like the import does, and returns it.
//!
//! The insurer's system is trusted only as far as the import file is: an
//! answer that would be a rejected row, or that names another KVNR, is
//! treated as the service being unusable, never as "not a member".

use super::import::{self, MainMemberState};
use super::{Member, MemberError, MemberRegistry};
use crate::audit::{AuditEvent, AuditKind, RequestContext};
use async_trait::async_trait;
use pforte_policy::Kvnr;
use serde::{Deserialize, Serialize};

/// One member as the insurer's lookup answers it: the import columns
/// (docs/members.md), as text, checked by the import's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberRecord {
    pub kvnr: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub postal_code: String,
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    pub membership_start: String,
    #[serde(default)]
    pub membership_end: Option<String>,
    #[serde(default)]
    pub main_member_kvnr: Option<String>,
}

/// The insurer's system could not answer usably (unreachable, timeout, an
/// error status, an answer that is not a valid member).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("member lookup unavailable: {0}")]
pub struct LookupUnavailable(pub String);

/// The insurer's member lookup.
#[async_trait]
pub trait MemberLookup: Send + Sync {
    /// The member with this KVNR; `Ok(None)` when the insurer has none.
    async fn lookup(&self, kvnr: &Kvnr) -> Result<Option<MemberRecord>, LookupUnavailable>;
}

/// Why [`MemberRegistry::find_or_lookup`] could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Registry(#[from] MemberError),
    /// Registration answers "try again later" (public code `PF-REG-503`).
    #[error(transparent)]
    Unavailable(#[from] LookupUnavailable),
}

impl LookupError {
    pub fn public_code(&self) -> &'static str {
        match self {
            Self::Registry(_) => "PF-MEMBER-500",
            Self::Unavailable(_) => "PF-MEMBER-503",
        }
    }

    /// The message key of the page (themes' i18n).
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::Registry(_) => "member_lookup_internal",
            Self::Unavailable(_) => "member_lookup_try_later",
        }
    }
}

impl MemberRecord {
    /// The record as a one-row import file, so that it passes exactly the
    /// import's checks. Every field is quoted (RFC 4180), so separators and
    /// quotes in names cannot shift columns.
    fn as_import_file(&self) -> String {
        let optional = |value: &Option<String>| value.clone().unwrap_or_default();
        let fields = [
            self.kvnr.clone(),
            self.given_name.clone(),
            self.family_name.clone(),
            self.birth_date.clone(),
            self.postal_code.clone(),
            optional(&self.street),
            optional(&self.city),
            optional(&self.email),
            optional(&self.mobile),
            self.membership_start.clone(),
            optional(&self.membership_end),
            optional(&self.main_member_kvnr),
        ];
        let row = fields
            .iter()
            .map(|field| format!("\"{}\"", field.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(";");
        format!(
            "kvnr;given_name;family_name;birth_date;postal_code;street;city;email;mobile;\
             membership_start;membership_end;main_member_kvnr\n{row}\n"
        )
    }
}

impl MemberRegistry {
    /// The member with this KVNR: from the registry, or, when it has none and
    /// a lookup is configured, from the insurer's system (then stored sealed,
    /// with a `member_looked_up` audit event). `Ok(None)`: not a member.
    pub async fn find_or_lookup(
        &self,
        kvnr: &Kvnr,
        context: &RequestContext,
    ) -> Result<Option<Member>, LookupError> {
        if let Some(member) = self.find(kvnr).await? {
            return Ok(Some(member));
        }
        let Some(lookup) = &self.lookup else {
            return Ok(None);
        };
        let Some(record) = lookup.lookup(kvnr).await? else {
            return Ok(None);
        };
        let main_state = match record.main_member_kvnr.as_deref().map(Kvnr::parse) {
            Some(Ok(main)) => match self.find(&main).await? {
                None => MainMemberState::Unknown,
                Some(member) if member.main_member.is_some() => MainMemberState::CoInsured,
                Some(_) => MainMemberState::MainMember,
            },
            _ => MainMemberState::Unknown,
        };
        let now = self.clock.now();
        let plan = import::plan(&record.as_import_file(), now.date_naive(), &|_| main_state)
            .map_err(|error| LookupUnavailable(format!("answer unusable: {error}")))?;
        let [planned] = plan.members.as_slice() else {
            let reasons = plan
                .rejected
                .iter()
                .flat_map(|row| row.reasons.iter().cloned())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(LookupUnavailable(format!("answer unusable: {reasons}")).into());
        };
        if planned.member.kvnr != *kvnr {
            return Err(LookupUnavailable("answer names another KVNR".into()).into());
        }
        let stored = self.seal(&planned.member)?;
        let mut event = AuditEvent::new(AuditKind::MemberLookedUp, now, None, "", context);
        event.username = None;
        self.store
            .upsert_members(&[stored], now, event)
            .await
            .map_err(MemberError::from)?;
        Ok(Some(planned.member.clone()))
    }
}
