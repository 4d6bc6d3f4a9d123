//! Signing keys at run time: one active key per algorithm, retired keys kept for
//! verification and in the JWKS until every token they signed has expired, the
//! JWKS served as pre-built bytes (issue acceptance: JWKS at 8× the peer).
//!
//! Private keys are stored sealed with the master key, the key id being the
//! authenticated context, so a sealed key moved to another row does not open.

use crate::error::OAuthError;
use crate::model::SigningKeyRecord;
use crate::ports::KeyStore;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use pforte_crypto::jose::new_kid;
use pforte_crypto::{MasterKey, SigningAlg, SigningKey};
use pforte_types::Clock;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The keys in force at one moment. Replaced as a whole on rotation.
#[derive(Debug)]
pub struct KeySet {
    active: HashMap<SigningAlg, SigningKey>,
    by_kid: HashMap<String, SigningKey>,
    jwks: Bytes,
}

impl KeySet {
    /// The key that signs with `alg` now.
    pub fn active(&self, alg: SigningAlg) -> Result<&SigningKey, OAuthError> {
        self.active
            .get(&alg)
            .ok_or_else(|| OAuthError::server_error(format!("no active {alg} key")))
    }

    /// Any key still trusted for verification (active or retired within the
    /// overlap), by key id.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.by_kid.get(kid)
    }

    /// The JWK Set document (RFC 7517 5), pre-serialised.
    pub fn jwks(&self) -> Bytes {
        self.jwks.clone()
    }

    pub fn active_kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self
            .active
            .values()
            .map(|key| key.kid().to_owned())
            .collect();
        kids.sort();
        kids
    }
}

/// A signing key as an operator sees it: no private part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub created_at: DateTime<Utc>,
    /// `None` while the key signs.
    pub retired_at: Option<DateTime<Utc>>,
    /// When a retired key leaves the JWKS.
    pub published_until: Option<DateTime<Utc>>,
}

impl KeyInfo {
    /// `active` (signs now) or `retired` (verifies only, until
    /// `published_until`).
    pub fn state(&self) -> &'static str {
        if self.retired_at.is_none() {
            "active"
        } else {
            "retired"
        }
    }
}

pub struct KeyManager {
    store: Arc<dyn KeyStore>,
    master: MasterKey,
    clock: Arc<dyn Clock>,
    /// How long a retired key stays trusted and published.
    overlap: Duration,
    current: RwLock<Arc<KeySet>>,
}

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("KeyManager")
            .field("overlap", &self.overlap)
            .finish_non_exhaustive()
    }
}

impl KeyManager {
    /// Loads the stored keys; on first start (no active key for some algorithm)
    /// generates and stores a full new set.
    pub async fn load(
        store: Arc<dyn KeyStore>,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        overlap: Duration,
    ) -> Result<Self, OAuthError> {
        let manager = Self {
            store,
            master,
            clock,
            overlap,
            current: RwLock::new(Arc::new(KeySet {
                active: HashMap::new(),
                by_kid: HashMap::new(),
                jwks: Bytes::from_static(br#"{"keys":[]}"#),
            })),
        };
        let records = manager.store.list_keys().await?;
        let complete = SigningAlg::ALL.iter().all(|alg| {
            records
                .iter()
                .any(|r| r.alg == *alg && r.retired_at.is_none())
        });
        if complete {
            manager.install(records)?;
        } else {
            manager.rotate().await?;
        }
        Ok(manager)
    }

    /// The key set in force now (cheap: one `Arc` clone).
    pub fn current(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Generates a new key for every algorithm and makes the set active; the
    /// previous keys stay published for the overlap. Returns the new key ids.
    pub async fn rotate(&self) -> Result<Vec<String>, OAuthError> {
        let now = self.clock.now();
        let mut records = Vec::with_capacity(SigningAlg::ALL.len());
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg, new_kid())?;
            records.push(SigningKeyRecord {
                kid: key.kid().to_owned(),
                alg,
                private_key_encrypted: self
                    .master
                    .encrypt(&key.export_private(), key.kid().as_bytes())?,
                public_jwk: key.public_jwk().clone(),
                created_at: now,
                retired_at: None,
            });
        }
        let kids = records.iter().map(|r| r.kid.clone()).collect();
        self.store.insert_active_keys(&records).await?;
        self.reload().await?;
        Ok(kids)
    }

    /// The stored keys, newest first, without their private parts (the admin
    /// console's key list, R-OP-1). A retired key is published until
    /// `retired_at` + the overlap.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, OAuthError> {
        let overlap = chrono::Duration::from_std(self.overlap).unwrap_or(chrono::Duration::MAX);
        Ok(self
            .store
            .list_keys()
            .await?
            .into_iter()
            .map(|record| KeyInfo {
                published_until: record
                    .retired_at
                    .and_then(|retired| retired.checked_add_signed(overlap)),
                kid: record.kid,
                alg: record.alg,
                created_at: record.created_at,
                retired_at: record.retired_at,
            })
            .collect())
    }

    /// How long a retired key stays published.
    pub fn overlap(&self) -> Duration {
        self.overlap
    }

    /// Re-reads the keys (after a rotation on another node or by the CLI) and
    /// deletes keys whose overlap has passed.
    pub async fn reload(&self) -> Result<(), OAuthError> {
        let cutoff = self.cutoff(self.clock.now());
        self.store.delete_retired_before(cutoff).await?;
        let records = self.store.list_keys().await?;
        self.install(records)
    }

    fn cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let overlap = chrono::Duration::from_std(self.overlap).unwrap_or(chrono::Duration::MAX);
        now.checked_sub_signed(overlap)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    fn install(&self, records: Vec<SigningKeyRecord>) -> Result<(), OAuthError> {
        let cutoff = self.cutoff(self.clock.now());
        let mut active = HashMap::new();
        let mut by_kid = HashMap::new();
        let mut published = Vec::new();
        // Newest first (KeyStore::list_keys), so the first unretired key of an
        // algorithm wins should a crash ever leave two.
        for record in records {
            if record.retired_at.is_some_and(|retired| retired < cutoff) {
                continue;
            }
            let private = self
                .master
                .decrypt(&record.private_key_encrypted, record.kid.as_bytes())
                .map_err(|_| {
                    OAuthError::server_error(format!(
                        "signing key {} does not open with the configured master key",
                        record.kid
                    ))
                })?;
            let key = SigningKey::import_private(record.alg, record.kid.clone(), &private)?;
            if record.retired_at.is_none() {
                active.entry(record.alg).or_insert_with(|| key.clone());
            }
            published.push(key.public_jwk().clone());
            by_kid.insert(record.kid, key);
        }
        let jwks = serde_json::to_vec(&serde_json::json!({ "keys": published }))
            .map_err(|error| OAuthError::server_error(error.to_string()))?;
        let set = Arc::new(KeySet {
            active,
            by_kid,
            jwks: Bytes::from(jwks),
        });
        match self.current.write() {
            Ok(mut guard) => *guard = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        Ok(())
    }
}
