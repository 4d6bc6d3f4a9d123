//! [`MemoryStore`]: provider sessions and short-lived flow state in process
//! (the single-node default, DESIGN.md §6, §8).
//!
//! Everything expires by the injected [`Clock`], so tests move time instead of
//! sleeping. Expired entries are invisible at once and swept lazily: a write
//! removes every expired entry when at least [`SWEEP_INTERVAL`] has passed since
//! the last sweep. Each operation holds the lock for its whole read-modify-write,
//! so [`EphemeralStore::take_ephemeral`] hands a value to exactly one caller.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_identity::ports::{EphemeralStore, SessionStore};
use pforte_identity::session::ProviderSession;
use pforte_types::{AccountId, Clock, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How often (in clock time) a write sweeps out expired entries.
const SWEEP_INTERVAL: TimeDelta = TimeDelta::seconds(60);

/// In-process [`SessionStore`] and [`EphemeralStore`].
pub struct MemoryStore {
    clock: Arc<dyn Clock>,
    sessions: Mutex<Expiring<ProviderSession>>,
    ephemeral: Mutex<Expiring<Vec<u8>>>,
}

impl MemoryStore {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            sessions: Mutex::new(Expiring::default()),
            ephemeral: Mutex::new(Expiring::default()),
        }
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

/// A map whose entries vanish at their expiry time.
struct Expiring<V> {
    entries: HashMap<String, (V, DateTime<Utc>)>,
    last_sweep: DateTime<Utc>,
}

impl<V> Default for Expiring<V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            last_sweep: DateTime::<Utc>::MIN_UTC,
        }
    }
}

impl<V> Expiring<V> {
    fn get(&self, key: &str, now: DateTime<Utc>) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(value, _)| value)
    }

    fn get_mut(&mut self, key: &str, now: DateTime<Utc>) -> Option<&mut V> {
        self.entries
            .get_mut(key)
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(value, _)| value)
    }

    fn insert(&mut self, key: &str, value: V, expires_at: DateTime<Utc>, now: DateTime<Utc>) {
        if now - self.last_sweep >= SWEEP_INTERVAL {
            self.entries.retain(|_, (_, expires_at)| now < *expires_at);
            self.last_sweep = now;
        }
        self.entries.insert(key.to_owned(), (value, expires_at));
    }

    /// Moves the expiry of a live entry and hands it out for changing.
    fn get_mut_reexpire(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
        expiry: impl FnOnce(&mut V) -> DateTime<Utc>,
    ) -> Option<&V> {
        let (value, expires_at) = self
            .entries
            .get_mut(key)
            .filter(|(_, expires_at)| now < *expires_at)?;
        *expires_at = expiry(value);
        Some(&*value)
    }

    fn live_values(&self, now: DateTime<Utc>) -> impl Iterator<Item = &V> {
        self.entries
            .values()
            .filter(move |(_, expires_at)| now < *expires_at)
            .map(|(value, _)| value)
    }

    fn take(&mut self, key: &str, now: DateTime<Utc>) -> Option<V> {
        self.entries
            .remove(key)
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(value, _)| value)
    }

    fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

/// Locks a map; a panic in another holder cannot leave it half-written (each
/// operation is a single map call), so a poisoned lock is still usable.
fn lock<V>(map: &Mutex<Expiring<V>>) -> MutexGuard<'_, Expiring<V>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `now + ttl`, saturating at the end of representable time.
fn expiry_after(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[async_trait]
impl SessionStore for MemoryStore {
    /// Keeps the session until its end (the earlier of the absolute and the
    /// idle end, R-SE-1).
    async fn put_session(&self, session: &ProviderSession) -> Result<(), StoreError> {
        let now = self.clock.now();
        lock(&self.sessions).insert(&session.sid, session.clone(), session.ends_at(), now);
        Ok(())
    }

    /// The session while it is live (`now < ends_at`, R-SE-1).
    async fn get_session(&self, sid: &str) -> Result<Option<ProviderSession>, StoreError> {
        let now = self.clock.now();
        Ok(lock(&self.sessions).get(sid, now).cloned())
    }

    async fn delete_session(&self, sid: &str) -> Result<(), StoreError> {
        lock(&self.sessions).remove(sid);
        Ok(())
    }

    /// Records the use and moves the entry's expiry to the new end.
    async fn touch_session(
        &self,
        sid: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ProviderSession>, StoreError> {
        let now = self.clock.now();
        Ok(lock(&self.sessions)
            .get_mut_reexpire(sid, now, |session| {
                session.last_seen_at = Some(at);
                session.ends_at()
            })
            .cloned())
    }

    /// A scan of the live sessions: one process holds few enough sessions
    /// that an index would not pay for its upkeep (R-SE-3).
    async fn sessions_of_account(
        &self,
        account: AccountId,
    ) -> Result<Vec<ProviderSession>, StoreError> {
        let now = self.clock.now();
        Ok(lock(&self.sessions)
            .live_values(now)
            .filter(|session| session.account_id == account)
            .cloned()
            .collect())
    }

    /// Adds the client once; a session that has ended is left alone.
    async fn add_session_client(&self, sid: &str, client_id: &str) -> Result<(), StoreError> {
        let now = self.clock.now();
        if let Some(session) = lock(&self.sessions).get_mut(sid, now)
            && !session.clients.iter().any(|known| known == client_id)
        {
            session.clients.push(client_id.to_owned());
        }
        Ok(())
    }
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put_ephemeral(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        lock(&self.ephemeral).insert(key, value.to_vec(), expiry_after(now, ttl), now);
        Ok(())
    }

    async fn get_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.clock.now();
        Ok(lock(&self.ephemeral).get(key, now).cloned())
    }

    async fn take_ephemeral(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.clock.now();
        Ok(lock(&self.ephemeral).take(key, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn a_write_sweeps_expired_entries_once_the_interval_has_passed() {
        let mut map = Expiring::default();
        map.insert("old", 1, at(10), at(0));
        map.insert("young", 2, at(1_000), at(1));
        assert_eq!(map.entries.len(), 2, "no sweep within the interval");
        map.insert("new", 3, at(2_000), at(61));
        assert!(!map.entries.contains_key("old"));
        assert_eq!(map.get("young", at(61)), Some(&2));
    }

    #[test]
    fn an_entry_is_gone_at_its_expiry_instant() {
        let mut map = Expiring::default();
        map.insert("k", 1, at(10), at(0));
        assert_eq!(map.get("k", at(9)), Some(&1));
        assert_eq!(map.get("k", at(10)), None);
        assert_eq!(map.take("k", at(10)), None);
    }

    #[test]
    fn an_enormous_ttl_saturates_instead_of_overflowing() {
        assert_eq!(
            expiry_after(at(0), Duration::from_secs(u64::MAX)),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
