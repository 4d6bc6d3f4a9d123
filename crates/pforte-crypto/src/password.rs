//! Argon2id password hashing (R-PW-1): parameters from configuration, PHC strings
//! in storage, rehash on login when the parameters change, and a dummy check for
//! unknown usernames so that answers and timing do not reveal whether an account
//! exists (R-LO-4).

use crate::CryptoError;
use crate::pool::{Admission, HashPool, PoolLimits};
use crate::random::random_bytes;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Argon2id cost parameters. The defaults are OWASP's first recommendation
/// (19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

/// Argon2id with the configured parameters, reached only through a
/// [`HashPool`]: every hash and verification of a password runs on one of the
/// pool's fixed workers (R-OP-3), never directly on the async runtime.
///
/// The synchronous operations live on [`Hashing`], which a caller only gets
/// inside a pool job ([`PasswordHasher::run`]); so no code path can start a
/// hash outside the bound.
pub struct PasswordHasher {
    hashing: Arc<Hashing>,
    pool: HashPool,
}

/// The synchronous Argon2id operations, handed to jobs running on the pool.
pub struct Hashing {
    argon2: Argon2<'static>,
    /// The `m=…,t=…,p=…` segment a hash made now carries; a stored hash with
    /// another one is rehashed at the next successful login.
    params_segment: String,
    /// A real hash of a random password, verified against for unknown users.
    dummy_hash: String,
    /// How many Argon2 verifications ran, dummy ones included: lets tests prove
    /// that every login answer costs exactly one hash (R-LO-4) without timing.
    verifications: AtomicU64,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PasswordHasher")
            .field("params", &self.hashing.params_segment)
            .field("pool", &self.pool.limits())
            .finish()
    }
}

impl std::fmt::Debug for Hashing {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Hashing")
            .field("params", &self.params_segment)
            .finish()
    }
}

impl PasswordHasher {
    /// A hasher on a pool of the default size ([`PoolLimits::default`]).
    pub fn new(params: Argon2Params) -> Result<Self, CryptoError> {
        Self::with_pool(params, HashPool::new(PoolLimits::default()))
    }

    /// A hasher whose work runs on `pool`. The dummy hash is made here, once,
    /// outside the pool: this runs at start-up, before any request.
    pub fn with_pool(params: Argon2Params, pool: HashPool) -> Result<Self, CryptoError> {
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|error| CryptoError::PasswordHash(error.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut hashing = Hashing {
            argon2,
            params_segment: format!(
                "m={},t={},p={}",
                params.memory_kib, params.iterations, params.parallelism
            ),
            dummy_hash: String::new(),
            verifications: AtomicU64::new(0),
        };
        let dummy_password = crate::random::random_token();
        hashing.dummy_hash = hashing.hash(&dummy_password)?;
        Ok(Self {
            hashing: Arc::new(hashing),
            pool,
        })
    }

    /// The pool the hashes run on.
    pub fn pool(&self) -> &HashPool {
        &self.pool
    }

    /// A place in the queue before anything with side effects happens (the
    /// login reserves its lockout attempt only after this), or
    /// [`CryptoError::Busy`].
    pub fn admit(&self) -> Result<Admission, CryptoError> {
        self.pool.admit()
    }

    /// Runs `job` with the synchronous operations on a worker of the pool,
    /// in the place `admission` holds.
    pub async fn run_admitted<T: Send + 'static>(
        &self,
        admission: Admission,
        job: impl FnOnce(&Hashing) -> T + Send + 'static,
    ) -> Result<T, CryptoError> {
        let hashing = self.hashing.clone();
        admission.run(move || job(&hashing)).await
    }

    /// Admits and runs `job` (see [`Self::run_admitted`]); several hashes in
    /// one job (a password history check) run one after another on one
    /// worker.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Hashing) -> T + Send + 'static,
    ) -> Result<T, CryptoError> {
        self.run_admitted(self.admit()?, job).await
    }

    /// A PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
    pub async fn hash(&self, password: &str) -> Result<String, CryptoError> {
        let password = password.to_owned();
        self.run(move |hashing| hashing.hash(&password)).await?
    }

    /// True when `password` matches; a malformed stored hash never matches.
    /// [`CryptoError::Busy`] when the queue is full.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, CryptoError> {
        let (password, phc) = (password.to_owned(), phc.to_owned());
        self.run(move |hashing| hashing.verify(&password, &phc))
            .await
    }

    /// The number of Argon2 verifications so far, dummy ones included.
    pub fn verifications(&self) -> u64 {
        self.hashing.verifications()
    }

    /// True when `phc` was made with other parameters or another algorithm
    /// (R-PW-1: rehash on login when they change). Reads the string only.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        self.hashing.needs_rehash(phc)
    }
}

impl Hashing {
    /// A PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
    pub fn hash(&self, password: &str) -> Result<String, CryptoError> {
        let salt = random_bytes::<16>();
        self.argon2
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| CryptoError::PasswordHash(error.to_string()))
    }

    /// True when `password` matches; a malformed stored hash never matches.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        self.argon2
            .verify_password(password.as_bytes(), phc)
            .is_ok()
    }

    /// Does the same work as [`Self::verify`] against a hash no one knows the
    /// password of, for usernames that do not exist (R-LO-4).
    pub fn verify_against_dummy(&self, password: &str) {
        let _ = self.verify(password, &self.dummy_hash);
    }

    /// The number of Argon2 verifications so far, dummy ones included.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// See [`PasswordHasher::needs_rehash`].
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let mut parts = phc.split('$');
        let _leading_empty = parts.next();
        let algorithm = parts.next();
        let version = parts.next();
        let params = parts.next();
        !(algorithm == Some("argon2id")
            && version == Some("v=19")
            && params == Some(self.params_segment.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> Argon2Params {
        Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[tokio::test]
    async fn r_pw_1_hash_is_argon2id_phc_and_verifies() {
        let hasher = PasswordHasher::new(fast()).unwrap();
        let hash = hasher.hash("Sommer2026!").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert!(hasher.verify("Sommer2026!", &hash).await.unwrap());
        assert!(!hasher.verify("sommer2026!", &hash).await.unwrap());
        assert!(!hasher.verify("Sommer2026!", "not a hash").await.unwrap());
        assert_ne!(hash, hasher.hash("Sommer2026!").await.unwrap(), "salted");
        assert_eq!(hasher.verifications(), 3);
    }

    #[tokio::test]
    async fn r_op_3_a_full_pool_refuses_hashing_with_busy() {
        let pool = HashPool::new(PoolLimits {
            workers: 1,
            queue_limit: 0,
        });
        let hasher = PasswordHasher::with_pool(fast(), pool).unwrap();
        let held = hasher.admit().unwrap();
        assert!(matches!(
            hasher.verify("pw", "not a hash").await,
            Err(CryptoError::Busy)
        ));
        assert!(matches!(hasher.hash("pw").await, Err(CryptoError::Busy)));
        assert_eq!(
            hasher.verifications(),
            0,
            "a refused request hashes nothing"
        );
        let matched = hasher
            .run_admitted(held, |hashing| hashing.verify("pw", "not a hash"))
            .await
            .unwrap();
        assert!(!matched);
    }

    #[tokio::test]
    async fn r_pw_1_changed_parameters_ask_for_a_rehash() {
        let old = PasswordHasher::new(fast()).unwrap();
        let hash = old.hash("pw").await.unwrap();
        assert!(!old.needs_rehash(&hash));
        let stronger = PasswordHasher::new(Argon2Params {
            memory_kib: 2048,
            ..fast()
        })
        .unwrap();
        assert!(stronger.needs_rehash(&hash));
        assert!(
            stronger.verify("pw", &hash).await.unwrap(),
            "old hashes still verify"
        );
        assert!(old.needs_rehash("$argon2i$v=19$m=1024,t=1,p=1$x$y"));
    }

    #[tokio::test]
    async fn r_lo_4_dummy_verification_runs_without_an_account() {
        let hasher = PasswordHasher::new(fast()).unwrap();
        let matched = hasher
            .run(|hashing| {
                hashing.verify_against_dummy("anything");
                hashing.verify("anything", &hashing.dummy_hash)
            })
            .await
            .unwrap();
        assert!(!matched);
        assert_eq!(hasher.verifications(), 2);
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(
            PasswordHasher::new(Argon2Params {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1
            })
            .is_err()
        );
    }
}
