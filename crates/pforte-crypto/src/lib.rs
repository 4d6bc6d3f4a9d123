//! Cryptography for Pforte, behind one small API.
//!
//! Owns: signing keys and JWS ([`jose`], the only module that touches josekit,
//! ADR 0001), the master key that encrypts secrets at rest ([`master`], R-OP-4),
//! HMAC digests of client secrets ([`secret_digest`], ADR 0002), Argon2id password
//! hashing ([`password`], R-PW-1) on a bounded pool of workers ([`pool`],
//! R-OP-3) and random tokens ([`random`]).
//!
//! Does no I/O and depends on no other Pforte crate but `pforte-types`
//! (DESIGN.md §2). The pool needs tokio's semaphore and blocking threads, and
//! reports its queue through the `metrics` facade (no exporter here). Never signs with the `rsa` crate (RUSTSEC-2023-0071): RSA and
//! EC operations go through OpenSSL via josekit.

pub mod error;
pub mod jose;
pub mod master;
pub mod password;
pub mod pool;
pub mod random;
pub mod secret_digest;

pub use error::CryptoError;
pub use jose::{SigningAlg, SigningKey, VerifiedJws};
pub use master::MasterKey;
pub use password::{Argon2Params, Hashing, PasswordHasher};
pub use pool::{Admission, HashPool, PoolLimits};
pub use secret_digest::SecretDigester;
