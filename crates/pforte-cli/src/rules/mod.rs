//! Pure checks of operator input, one concern per file, each unit-tested. They
//! return a message for the operator; none of them echoes a secret.

pub mod base32;
pub mod fields;
pub mod jwks;
pub mod logout_uri;
pub mod redirect_uri;
