//! Registration and the account lifecycle (R-ID-4, R-RG-1…7).
//!
//! An account made by self-registration is linked to exactly one member of
//! the registry ([`crate::member`]) and moves through [`Stage`]s:
//! `email_unconfirmed` → `awaiting_activation` → `active`, and
//! `membership_ended` when the member's membership is over (R-ID-4; the
//! scheduled job in pforte-server applies it). How the person proved who they
//! are is the [`Proofing`]: a letter with an activation code (R-RG-4), an
//! external ident service (R-RG-5), an agent's invitation (R-RG-6) or an
//! operator (R-PW-3).
//!
//! Accounts without a link (operator-made accounts of a trial, the demo user)
//! have no stage: they are active as far as registration is concerned.

pub mod decision;
pub mod lifecycle;
pub mod service;

use chrono::{DateTime, Utc};
use pforte_types::AccountId;
use serde::{Deserialize, Serialize};

/// Where a registered account stands in its lifecycle (R-ID-4). Locks and
/// lock-triggered deactivation are the lockout's business (R-LO), not a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Registered; the e-mail address is not confirmed by its code yet (R-RG-3).
    EmailUnconfirmed,
    /// E-mail confirmed; identity not yet proven (letter code, ident, R-RG-4/5).
    AwaitingActivation,
    /// Activated: login is open.
    Active,
    /// The membership ended: login is refused until a new membership begins
    /// (R-ID-4).
    MembershipEnded,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::EmailUnconfirmed,
        Stage::AwaitingActivation,
        Stage::Active,
        Stage::MembershipEnded,
    ];

    /// The stable name stored in the database and written to the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::EmailUnconfirmed => "email_unconfirmed",
            Stage::AwaitingActivation => "awaiting_activation",
            Stage::Active => "active",
            Stage::MembershipEnded => "membership_ended",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| stage.as_str() == text)
    }
}

/// How the account holder proved their identity (R-RG-4…6, R-PW-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proofing {
    /// Activation code sent by post (R-RG-4).
    Letter,
    /// An external ident service's verified claims matched the member (R-RG-5).
    Ident,
    /// An agent's invitation bound to the member (R-RG-6).
    Agent,
    /// An operator created the account and its initial-password letter (R-PW-3).
    Operator,
}

impl Proofing {
    pub const ALL: [Proofing; 4] = [
        Proofing::Letter,
        Proofing::Ident,
        Proofing::Agent,
        Proofing::Operator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Proofing::Letter => "letter",
            Proofing::Ident => "ident",
            Proofing::Agent => "agent",
            Proofing::Operator => "operator",
        }
    }

    pub fn parse(text: &str) -> Option<Proofing> {
        Proofing::ALL
            .into_iter()
            .find(|proofing| proofing.as_str() == text)
    }
}

/// The link of an account to its member (R-RG-1): one account per member and
/// one member per account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLink {
    pub account_id: AccountId,
    /// The member's keyed KVNR digest ([`crate::ports::StoredMember::kvnr_digest`]).
    pub kvnr_digest: String,
    pub stage: Stage,
    /// How the identity was (or is to be) proven.
    pub proofing: Proofing,
    pub registered_at: DateTime<Utc>,
    /// When the stage became [`Stage::Active`] (first activation).
    pub activated_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_id_4_stage_and_proofing_names_round_trip() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
        }
        for proofing in Proofing::ALL {
            assert_eq!(Proofing::parse(proofing.as_str()), Some(proofing));
        }
        assert_eq!(Stage::parse("deleted"), None);
    }
}
