//! Login, step-up and required actions as one flow (DESIGN.md §4): the pure
//! [`planner`] names the next prompt, the runner (methods on
//! [`crate::IdentityService`]) verifies input, records evidence and writes
//! audit events; the web layer only renders prompts and forwards input.

pub mod planner;
pub mod prove;
pub mod runner;
pub mod txn;

pub use planner::{Facts, Gate, Next, Plan, Reached, Unmet, next};
pub use prove::CodeSent;
pub use txn::{LoginTxn, MAX_FACTOR_FAILURES};
