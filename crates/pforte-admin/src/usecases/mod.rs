//! The operator use cases. Each takes the [`crate::Operator`] and checks its
//! permission first; the console and the API call the same functions.

pub mod clients;
pub mod keys;
pub mod letters;
pub mod outbox;
pub mod policies;
pub mod users;
