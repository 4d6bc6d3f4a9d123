//! Argon2id password hashing (R-PW-1): parameters from configuration, PHC strings
//! in storage, rehash on login when the parameters change, and a dummy check for
//! unknown usernames so that answers and timing do not reveal whether an account
//! exists (R-LO-4).

use crate::CryptoError;
use crate::pool::{Admission, HashPool, PoolLimits};
use crate::random::random_bytes;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

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
    params: Params,
    /// Argon2 block memory kept from one job to the next (see [`BlockMemory`]).
    memory: BlockMemory,
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
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params.clone());
        let mut hashing = Hashing {
            argon2,
            memory: BlockMemory::new(argon_params.block_count(), pool.limits().workers),
            params: argon_params,
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
        let result = admission.run(move || job(&hashing)).await;
        if self.pool.is_idle() {
            self.release_memory_when_still_idle();
        }
        result
    }

    /// Frees the kept block memory once no hash has run for
    /// [`MEMORY_IDLE_RELEASE`], so an idle node returns to its start-up
    /// memory while a busy one reuses its buffers (see [`BlockMemory`]).
    fn release_memory_when_still_idle(&self) {
        let hashing = self.hashing.clone();
        let seen = hashing.memory.uses();
        tokio::spawn(async move {
            tokio::time::sleep(MEMORY_IDLE_RELEASE).await;
            hashing.memory.release_unless_used_since(seen);
        });
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
        let failed = |error: &dyn std::fmt::Display| CryptoError::PasswordHash(error.to_string());
        let salt = Salt::new(&random_bytes::<16>()).map_err(|error| failed(&error))?;
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.memory
            .with_blocks(self.params.block_count(), |blocks| {
                self.argon2.hash_password_into_with_memory(
                    password.as_bytes(),
                    &salt,
                    &mut output,
                    blocks,
                )
            })
            .map_err(|error| failed(&error))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|error| failed(&error))?,
            salt: Some(salt),
            hash: Some(Output::new(&output).map_err(|error| failed(&error))?),
        };
        Ok(phc.to_string())
    }

    /// True when `password` matches; a malformed stored hash never matches.
    /// The stored hash's own algorithm, version and parameters are used, so
    /// hashes made under earlier parameters still verify (and are rehashed,
    /// R-PW-1); the outputs are compared in constant time.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        self.verify_phc(password, phc).unwrap_or(false)
    }

    fn verify_phc(&self, password: &str, phc: &str) -> Option<bool> {
        let stored = PasswordHash::new(phc).ok()?;
        let (salt, expected) = (stored.salt.as_ref()?, stored.hash.as_ref()?);
        let algorithm = Algorithm::try_from(stored.algorithm.as_str()).ok()?;
        let version = stored
            .version
            .map_or(Ok(Version::default()), Version::try_from)
            .ok()?;
        let params = Params::try_from(&stored).ok()?;
        let mut output = vec![0u8; expected.len()];
        let argon2 = Argon2::new(algorithm, version, params.clone());
        self.memory
            .with_blocks(params.block_count(), |blocks| {
                argon2.hash_password_into_with_memory(
                    password.as_bytes(),
                    salt,
                    &mut output,
                    blocks,
                )
            })
            .ok()?;
        Some(Output::new(&output).ok()? == *expected)
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

/// How long kept block memory outlives the last hash.
pub const MEMORY_IDLE_RELEASE: std::time::Duration = std::time::Duration::from_secs(1);

/// Argon2 block memory reused across hashes.
///
/// Why: one hash with the default parameters fills 19 MiB. Allocated afresh
/// for every hash, that memory is a fresh mapping each time (the server sets a
/// low `mmap` threshold for its allocator, docs/operations.md), so every
/// login paid for thousands of page faults and an unmapping on top of the
/// hash itself: logins reached only about a third of the rate raw hashing
/// allows (docs/performance.md). The pool never runs more than `workers`
/// hashes at once, so at most that many buffers of the configured size are
/// kept; a hash under other parameters (an old stored hash being verified)
/// gets a buffer of its own that is freed afterwards. When the pool has been
/// idle for [`MEMORY_IDLE_RELEASE`] the kept buffers are freed as well, so an
/// idle node holds no hashing memory.
///
/// The buffers are not cleared between hashes: they stay inside the process,
/// which holds the passwords of requests in flight anyway, and the next hash
/// overwrites every block before reading it.
struct BlockMemory {
    block_count: usize,
    keep: usize,
    free: Mutex<Vec<Vec<Block>>>,
    /// Hashes run so far: tells the idle release whether one ran meanwhile.
    uses: AtomicU64,
}

impl BlockMemory {
    fn new(block_count: usize, keep: usize) -> Self {
        Self {
            block_count,
            keep: keep.max(1),
            free: Mutex::new(Vec::new()),
            uses: AtomicU64::new(0),
        }
    }

    fn uses(&self) -> u64 {
        self.uses.load(Ordering::Acquire)
    }

    /// Frees the kept buffers unless a hash started after `seen` was read.
    fn release_unless_used_since(&self, seen: u64) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if self.uses() == seen {
            free.clear();
            free.shrink_to_fit();
        }
    }

    /// Runs `job` with `count` blocks of memory, reusing a kept buffer when
    /// `count` is the configured size.
    fn with_blocks<T>(&self, count: usize, job: impl FnOnce(&mut [Block]) -> T) -> T {
        self.uses.fetch_add(1, Ordering::AcqRel);
        if count != self.block_count {
            return job(&mut vec![Block::new(); count]);
        }
        let kept = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut buffer = kept.unwrap_or_else(|| vec![Block::new(); count]);
        let result = job(&mut buffer);
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.keep {
            free.push(buffer);
        }
        result
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
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

    /// Stored hashes from before the reused block memory (made by the argon2
    /// crate's own PHC functions) still verify, and hashes made now verify
    /// with those functions: the stored format is unchanged (R-PW-1).
    #[tokio::test]
    async fn r_pw_1_hashes_stay_compatible_with_the_phc_functions_of_argon2() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = PasswordHasher::new(fast()).unwrap();
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        );
        let theirs = reference
            .hash_password_with_salt(b"Herbst-2026", &random_bytes::<16>())
            .unwrap()
            .to_string();
        assert!(hasher.verify("Herbst-2026", &theirs).await.unwrap());
        assert!(!hasher.verify("Herbst-2027", &theirs).await.unwrap());
        let ours = hasher.hash("Herbst-2026").await.unwrap();
        assert!(
            reference
                .verify_password(b"Herbst-2026", ours.as_str())
                .is_ok()
        );
        assert!(
            reference
                .verify_password(b"Herbst-2027", ours.as_str())
                .is_err()
        );
        // A hash of another variant and output length verifies by its own terms.
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(512, 2, 1, Some(16)).unwrap(),
        )
        .hash_password_with_salt(b"Winter", &random_bytes::<16>())
        .unwrap()
        .to_string();
        assert!(hasher.verify("Winter", &argon2i).await.unwrap());
        assert!(!hasher.verify("winter", &argon2i).await.unwrap());
    }

    /// R-OP-3: block memory is kept for at most `workers` hashes and reused;
    /// a hash under other parameters does not grow what is kept.
    #[tokio::test]
    async fn r_op_3_block_memory_is_reused_and_bounded_by_the_workers() {
        let pool = HashPool::new(PoolLimits {
            workers: 2,
            queue_limit: 8,
        });
        let hasher = PasswordHasher::with_pool(fast(), pool).unwrap();
        assert_eq!(hasher.hashing.memory.kept(), 1, "the dummy hash's buffer");
        let (a, b, c, d) = tokio::join!(
            hasher.hash("pw-0"),
            hasher.hash("pw-1"),
            hasher.hash("pw-2"),
            hasher.hash("pw-3")
        );
        let hashes = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
        assert!(hasher.hashing.memory.kept() <= 2);
        for (n, hash) in hashes.iter().enumerate() {
            assert!(hasher.verify(&format!("pw-{n}"), hash).await.unwrap());
        }
        let other = PasswordHasher::new(Argon2Params {
            memory_kib: 2048,
            ..fast()
        })
        .unwrap()
        .hash("pw")
        .await
        .unwrap();
        let kept = hasher.hashing.memory.kept();
        assert!(hasher.verify("pw", &other).await.unwrap());
        assert_eq!(hasher.hashing.memory.kept(), kept);
        assert!(kept >= 1);
    }

    /// R-OP-3: an idle pool frees its block memory; a hash in between keeps it.
    #[tokio::test]
    async fn r_op_3_an_idle_pool_frees_its_block_memory() {
        let hasher = PasswordHasher::new(fast()).unwrap();
        hasher.hash("pw").await.unwrap();
        assert_eq!(hasher.hashing.memory.kept(), 1);
        tokio::time::sleep(MEMORY_IDLE_RELEASE / 2).await;
        hasher.hash("pw").await.unwrap();
        // The release planned after the first hash finds the second one.
        tokio::time::sleep(MEMORY_IDLE_RELEASE * 6 / 10).await;
        assert_eq!(
            hasher.hashing.memory.kept(),
            1,
            "used within the last second"
        );
        tokio::time::sleep(MEMORY_IDLE_RELEASE * 2).await;
        assert_eq!(hasher.hashing.memory.kept(), 0, "idle for a second");
        let hash = hasher.hash("pw").await.unwrap();
        assert!(hasher.verify("pw", &hash).await.unwrap());
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
