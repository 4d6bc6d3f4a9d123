//! The member registry: the insurer's member data that registration checks
//! against (R-RG-1), that ends accounts with the membership (R-ID-4) and that
//! names the co-insured children of a main member (R-FA-1).
//!
//! The data arrives by import (`pforte members import FILE.csv`, [`import`]
//! for the file format). It is personal data of people who may never register,
//! so it is kept sealed (R-OP-4): the store sees the KVNR only as a keyed digest
//! (to find a member by the number typed into the registration form), the
//! membership dates in clear (a scheduled job needs them) and everything else
//! as one value sealed with the master key, bound to that digest.
//!
//! An import is all or nothing by default: a file with a rejected row changes
//! nothing and the report lists every problem; `skip_rejected` writes the
//! accepted rows. Writing is one transaction either way, so a crash never
//! leaves half a file imported, and importing the same file twice changes
//! nothing the second time (idempotent upsert by KVNR).

pub mod csv;
pub mod import;
pub mod lookup;

use crate::audit::{AuditEvent, AuditKind, RequestContext};
use crate::ports::{MemberStore, StoredMember, UpsertCounts};
use chrono::NaiveDate;
use pforte_crypto::MasterKey;
use pforte_factors::code::CodeDigester;
use pforte_policy::Kvnr;
use pforte_types::{Clock, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

pub use import::{ImportFileError, ImportPlan, RejectedRow};

/// Purpose of the keyed KVNR digest (the lookup key of a member).
const KVNR_DIGEST_PURPOSE: &str = "member-kvnr";
/// Purpose of the keyed digest of a member's content (unchanged detection).
const CONTENT_DIGEST_PURPOSE: &str = "member-content";

/// One insured person as the insurer's system knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub kvnr: Kvnr,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    /// German five-digit postal code of the postal address.
    pub postal_code: String,
    /// Street and house number of the postal address; letters by post need
    /// it (R-RG-4). Absent in records sealed before it was imported.
    #[serde(default)]
    pub street: Option<String>,
    /// Town of the postal address.
    #[serde(default)]
    pub city: Option<String>,
    pub email: Option<String>,
    /// E.164.
    pub mobile: Option<String>,
    pub membership_start: NaiveDate,
    /// The last day of the membership; `None` while it lasts.
    pub membership_end: Option<NaiveDate>,
    /// For a co-insured person: the main member (R-FA-1).
    pub main_member: Option<Kvnr>,
}

impl Member {
    /// The lines of the postal address in the order a German address window
    /// prints them (DIN 5008): name, street, postal code and town. `None`
    /// when street or town is unknown: no letter can be sent then.
    pub fn postal_address_lines(&self) -> Option<Vec<String>> {
        let street = self.street.as_deref()?;
        let city = self.city.as_deref()?;
        Some(vec![
            format!("{} {}", self.given_name, self.family_name),
            street.to_owned(),
            format!("{} {}", self.postal_code, city),
        ])
    }

    /// Whether the membership covers `day` (start and end days included).
    pub fn is_member_on(&self, day: NaiveDate) -> bool {
        day >= self.membership_start && self.membership_end.is_none_or(|end| day <= end)
    }
}

/// What an import does with rejected rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOptions {
    /// Write the accepted rows even when others were rejected.
    pub skip_rejected: bool,
    /// Check only; write nothing.
    pub dry_run: bool,
}

/// What an import found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Accepted rows.
    pub accepted: usize,
    pub rejected: Vec<RejectedRow>,
    /// What was written; `None` when nothing was (a dry run, or rejected rows
    /// without `skip_rejected`).
    pub written: Option<UpsertCounts>,
}

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("the import file is not usable: {0}")]
    File(#[from] ImportFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("member data cannot be sealed or opened: {0}")]
    Sealing(String),
}

/// Imports and finds members (R-ID-4, R-RG-1).
pub struct MemberRegistry {
    store: Arc<dyn MemberStore>,
    master: Arc<MasterKey>,
    digests: CodeDigester,
    clock: Arc<dyn Clock>,
    /// The insurer's lookup for KVNRs the registry does not hold
    /// ([`lookup`]); `None`: only imported members are known.
    lookup: Option<Arc<dyn lookup::MemberLookup>>,
}

impl std::fmt::Debug for MemberRegistry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MemberRegistry")
            .finish_non_exhaustive()
    }
}

impl MemberRegistry {
    pub fn new(store: Arc<dyn MemberStore>, master: Arc<MasterKey>, clock: Arc<dyn Clock>) -> Self {
        let digests = CodeDigester::from_master(&master);
        Self {
            store,
            master,
            digests,
            clock,
            lookup: None,
        }
    }

    /// Asks `lookup` for members the registry does not hold
    /// ([`MemberRegistry::find_or_lookup`]).
    pub fn with_lookup(mut self, lookup: Arc<dyn lookup::MemberLookup>) -> Self {
        self.lookup = Some(lookup);
        self
    }

    /// The lookup key of a KVNR: a keyed digest, so the table alone does not
    /// reveal who is insured. Public for the account–member link, which names
    /// the member by it.
    pub fn kvnr_digest(&self, kvnr: &Kvnr) -> String {
        self.digests.digest(KVNR_DIGEST_PURPOSE, kvnr.as_str())
    }

    /// Checks `text` (the import file) and, unless told otherwise, writes the
    /// members in one transaction with one audit event naming what changed.
    pub async fn import(
        &self,
        text: &str,
        options: ImportOptions,
        context: &RequestContext,
    ) -> Result<ImportReport, MemberError> {
        let now = self.clock.now();
        let today = now.date_naive();
        // First pass: which main members does the file name without holding
        // them? Those are looked up in the registry for the real pass.
        let referenced = import::plan(text, today, &|_| import::MainMemberState::MainMember)?;
        let in_file: std::collections::HashSet<&str> = referenced
            .members
            .iter()
            .map(|planned| planned.member.kvnr.as_str())
            .collect();
        let mut known: HashMap<Kvnr, import::MainMemberState> = HashMap::new();
        for planned in &referenced.members {
            if let Some(main) = &planned.member.main_member
                && !in_file.contains(main.as_str())
                && !known.contains_key(main)
            {
                let state = match self.find(main).await? {
                    None => import::MainMemberState::Unknown,
                    Some(member) if member.main_member.is_some() => {
                        import::MainMemberState::CoInsured
                    }
                    Some(_) => import::MainMemberState::MainMember,
                };
                known.insert(main.clone(), state);
            }
        }
        let plan = import::plan(text, today, &|kvnr| {
            known
                .get(kvnr)
                .copied()
                .unwrap_or(import::MainMemberState::Unknown)
        })?;
        let accepted = plan.members.len();
        let refused = !plan.rejected.is_empty() && !options.skip_rejected;
        if options.dry_run || refused {
            return Ok(ImportReport {
                accepted,
                rejected: plan.rejected,
                written: None,
            });
        }
        let stored = plan
            .members
            .iter()
            .map(|planned| self.seal(&planned.member))
            .collect::<Result<Vec<_>, _>>()?;
        let event = AuditEvent {
            operator: None,
            at: now,
            kind: AuditKind::MembersImported,
            account: None,
            username: None,
            client: context.client_id.clone(),
            ip: context.ip.map(|ip| ip.to_string()),
            user_agent: context.user_agent.clone(),
            request_id: context.request_id.clone(),
            detail: None,
        };
        let counts = self.store.upsert_members(&stored, now, event).await?;
        Ok(ImportReport {
            accepted,
            rejected: plan.rejected,
            written: Some(counts),
        })
    }

    /// The member with this KVNR, if the registry has one.
    pub async fn find(&self, kvnr: &Kvnr) -> Result<Option<Member>, MemberError> {
        let digest = self.kvnr_digest(kvnr);
        match self.store.member(&digest).await? {
            Some(stored) => self.open(&stored).map(Some),
            None => Ok(None),
        }
    }

    /// The member stored under a KVNR digest (the key an account's member
    /// link holds, [`crate::registration::MemberLink::kvnr_digest`]).
    pub async fn find_by_digest(&self, kvnr_digest: &str) -> Result<Option<Member>, MemberError> {
        match self.store.member(kvnr_digest).await? {
            Some(stored) => self.open(&stored).map(Some),
            None => Ok(None),
        }
    }

    /// How many members the registry holds.
    pub async fn count(&self) -> Result<u64, MemberError> {
        Ok(self.store.count_members().await?)
    }

    fn seal(&self, member: &Member) -> Result<StoredMember, MemberError> {
        let kvnr_digest = self.kvnr_digest(&member.kvnr);
        let json =
            serde_json::to_vec(member).map_err(|error| MemberError::Sealing(error.to_string()))?;
        let sealed = self
            .master
            .encrypt(&json, kvnr_digest.as_bytes())
            .map_err(|error| MemberError::Sealing(error.to_string()))?;
        // The content digest over the canonical JSON lets the store tell an
        // unchanged row without opening it (sealing is randomised).
        let json_text = String::from_utf8_lossy(&json);
        Ok(StoredMember {
            content_digest: self.digests.digest(CONTENT_DIGEST_PURPOSE, &json_text),
            main_member_digest: member
                .main_member
                .as_ref()
                .map(|main| self.kvnr_digest(main)),
            membership_start: member.membership_start,
            membership_end: member.membership_end,
            sealed,
            kvnr_digest,
        })
    }

    fn open(&self, stored: &StoredMember) -> Result<Member, MemberError> {
        let json = self
            .master
            .decrypt(&stored.sealed, stored.kvnr_digest.as_bytes())
            .map_err(|error| MemberError::Sealing(error.to_string()))?;
        serde_json::from_slice(&json).map_err(|error| MemberError::Sealing(error.to_string()))
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
