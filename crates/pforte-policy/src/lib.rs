//! Per-tenant login policy of Pforte: which login names are accepted and how a
//! KVNR is validated (R-ID-1, R-ID-2), the password rules (R-PW-1 … R-PW-4),
//! per-account lockout and per-source throttling (R-LO-1, R-LO-2, R-LO-5),
//! assurance levels, second factors and required actions (R-AC-1 … R-AC-4,
//! R-MF-2 … R-MF-4, R-RG-7), and self-registration (R-RG-1, R-RG-4).
//!
//! Key types: [`PolicyFile`] (the TOML an operator writes) is validated into a
//! [`ResolvedPolicy`]; [`IdentifierPolicy::classify`],
//! [`PasswordPolicy::evaluate`] and [`lockout::decide`] apply it.
//!
//! Everything here is pure: no I/O, no clock (time is an argument), no hashing
//! (the password history is a trait the caller implements). It depends only on
//! pforte-types (DESIGN.md §2); storage, audit and the login flow use it.

pub mod assurance;
pub mod duration;
pub mod error;
pub mod file;
pub mod identifier;
pub mod lang;
pub mod lockout;
pub mod nist;
pub mod password;
pub mod registration;
pub mod resolve;

pub use assurance::{
    AssurancePolicy, ClassPolicy, Level, OnMissing, OtpPolicy, RequiredAction, allowed_methods,
};
pub use error::{PolicyError, Problem};
pub use file::PolicyFile;
pub use identifier::{
    Identifier, IdentifierError, IdentifierPolicy, Kvnr, KvnrError, UsernameKind,
};
pub use lang::Language;
pub use lockout::throttle::{
    ThrottleDecision, ThrottleKey, ThrottleLimit, ThrottlePolicy, WindowCounter,
};
pub use lockout::{
    AttemptOutcome, DeactivationReason, Decision, DuringLock, LockState, LockoutEvent,
    LockoutPolicy, Refusal, decide,
};
pub use password::{
    CharClass, ClassRule, HashingParams, IdentifierRule, PasswordContext, PasswordHistory,
    PasswordPolicy, PasswordViolation, SpecialCharacters,
};
pub use registration::{RegistrationPolicy, UsernameChoice};
pub use resolve::ResolvedPolicy;
