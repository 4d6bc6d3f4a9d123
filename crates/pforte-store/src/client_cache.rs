//! [`CachedClientStore`]: registered clients kept in memory for a short time in
//! front of another [`ClientStore`].
//!
//! Why: the token endpoint authenticates the client on every request, and the
//! client record was its only database read. Each read through the SQLite driver
//! costs several thread switches, which dominated the per-request CPU of the
//! client credentials grant (docs/performance.md, "Where the time goes").
//! Clients change only through the operator CLI, so a lifetime of seconds is
//! enough to take that read off the hot path.
//!
//! Rules:
//! * Only found clients are cached, never misses: a client registered with
//!   `pforte client add` works at once, also on a running server.
//! * `insert_client`, `update_client` and `remove_client` through the cache
//!   drop the entry, so a change made in this process (e.g. an edit in the
//!   admin console, R-OP-1) is seen at once.
//! * A change made by another process (the CLI, another node) reaches a running
//!   server after at most the lifetime: a removed client, or one whose record
//!   changed, keeps working with its old record until its entry expires.
//! * Expiry follows the injected [`Clock`], so tests move time instead of
//!   sleeping.
//! * A lookup that raced with an invalidation does not store what it read, so a
//!   removal through the cache is never undone by a slower concurrent read.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use pforte_oauth::model::Client;
use pforte_oauth::ports::ClientStore;
use pforte_types::{Clock, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// A [`ClientStore`] that remembers found clients for `ttl` (module docs).
pub struct CachedClientStore {
    inner: Arc<dyn ClientStore>,
    clock: Arc<dyn Clock>,
    ttl: TimeDelta,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    entries: HashMap<String, CachedClient>,
    /// Grows with every invalidation; a lookup stores its result only when the
    /// generation did not change while it read the inner store.
    generation: u64,
}

struct CachedClient {
    client: Client,
    expires_at: DateTime<Utc>,
}

impl CachedClientStore {
    /// Wraps `inner`. A zero `ttl` caches nothing (every call goes through).
    pub fn new(inner: Arc<dyn ClientStore>, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        Self {
            inner,
            clock,
            ttl: TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX),
            state: Mutex::new(CacheState::default()),
        }
    }

    fn enabled(&self) -> bool {
        self.ttl > TimeDelta::zero()
    }

    fn lock(&self) -> MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn invalidate(&self, client_id: &str) {
        let mut state = self.lock();
        state.entries.remove(client_id);
        state.generation = state.generation.wrapping_add(1);
    }
}

impl std::fmt::Debug for CachedClientStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedClientStore")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ClientStore for CachedClientStore {
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        if !self.enabled() {
            return self.inner.get_client(client_id).await;
        }
        let generation = {
            let mut state = self.lock();
            let now = self.clock.now();
            match state.entries.get(client_id) {
                Some(entry) if entry.expires_at > now => return Ok(Some(entry.client.clone())),
                Some(_) => {
                    state.entries.remove(client_id);
                }
                None => {}
            }
            state.generation
        };
        let found = self.inner.get_client(client_id).await?;
        if let Some(client) = &found {
            let mut state = self.lock();
            if state.generation == generation {
                let expires_at = self.clock.now().checked_add_signed(self.ttl);
                if let Some(expires_at) = expires_at {
                    state.entries.insert(
                        client_id.to_owned(),
                        CachedClient {
                            client: client.clone(),
                            expires_at,
                        },
                    );
                }
            }
        }
        Ok(found)
    }

    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        let result = self.inner.insert_client(client).await;
        self.invalidate(&client.client_id);
        result
    }

    /// Always read through: listing is an operator action, not a hot path.
    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        self.inner.list_clients().await
    }

    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let result = self.inner.update_client(client).await;
        self.invalidate(&client.client_id);
        result
    }

    async fn remove_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let result = self.inner.remove_client(client_id).await;
        self.invalidate(client_id);
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use pforte_oauth::model::{ApplicationType, ClientAuthMethod, GrantType};
    use pforte_types::ManualClock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An inner store that counts reads, to see which lookups were served from
    /// memory.
    #[derive(Default)]
    struct CountingStore {
        clients: Mutex<HashMap<String, Client>>,
        reads: AtomicUsize,
    }

    impl CountingStore {
        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl ClientStore for CountingStore {
        async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(self.clients.lock().unwrap().get(client_id).cloned())
        }
        async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
            let mut clients = self.clients.lock().unwrap();
            if clients.contains_key(&client.client_id) {
                return Err(StoreError::Conflict(client.client_id.clone()));
            }
            clients.insert(client.client_id.clone(), client.clone());
            Ok(())
        }
        async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
            Ok(self.clients.lock().unwrap().values().cloned().collect())
        }
        async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
            let mut clients = self.clients.lock().unwrap();
            match clients.get_mut(&client.client_id) {
                Some(stored) => {
                    *stored = client.clone();
                    Ok(true)
                }
                None => Ok(false),
            }
        }
        async fn remove_client(&self, client_id: &str) -> Result<bool, StoreError> {
            Ok(self.clients.lock().unwrap().remove(client_id).is_some())
        }
    }

    fn start() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap()
    }

    fn client(client_id: &str) -> Client {
        Client {
            client_id: client_id.to_owned(),
            name: None,
            secret_digest: Some("hmac-sha256:c2VjcmV0".to_owned()),
            auth_method: ClientAuthMethod::ClientSecretBasic,
            jwks: None,
            redirect_uris: vec![format!("https://{client_id}.example/cb")],
            post_logout_redirect_uris: vec![],
            application_type: ApplicationType::Web,
            require_par: false,
            require_pkce: true,
            grant_types: vec![GrantType::ClientCredentials],
            extra_scopes: vec![],
            id_token_alg: serde_json::from_value(serde_json::json!("RS256")).unwrap(),
            default_acr_values: Vec::new(),
            minimum_acr: None,
            brand: None,
            logout: Default::default(),
            created_at: start(),
        }
    }

    fn setup(ttl_secs: u64) -> (Arc<CountingStore>, ManualClock, CachedClientStore) {
        let inner = Arc::new(CountingStore::default());
        let clock = ManualClock::new(start());
        let cache = CachedClientStore::new(
            inner.clone(),
            Arc::new(clock.clone()),
            Duration::from_secs(ttl_secs),
        );
        (inner, clock, cache)
    }

    #[tokio::test]
    async fn a_found_client_is_served_from_memory_until_its_lifetime_ends() {
        let (inner, clock, cache) = setup(10);
        inner.insert_client(&client("web")).await.unwrap();

        assert_eq!(cache.get_client("web").await.unwrap(), Some(client("web")));
        clock.advance(TimeDelta::seconds(9));
        assert_eq!(cache.get_client("web").await.unwrap(), Some(client("web")));
        assert_eq!(inner.reads(), 1);

        clock.advance(TimeDelta::seconds(1));
        assert_eq!(cache.get_client("web").await.unwrap(), Some(client("web")));
        assert_eq!(inner.reads(), 2, "an expired entry is read again");
    }

    #[tokio::test]
    async fn a_missing_client_is_never_cached_so_a_cli_registration_works_at_once() {
        let (inner, _clock, cache) = setup(10);
        assert_eq!(cache.get_client("new").await.unwrap(), None);
        // Registered by another process, straight into the database.
        inner.insert_client(&client("new")).await.unwrap();
        assert_eq!(cache.get_client("new").await.unwrap(), Some(client("new")));
    }

    #[tokio::test]
    async fn removing_through_the_cache_takes_effect_at_once() {
        let (_inner, _clock, cache) = setup(10);
        cache.insert_client(&client("web")).await.unwrap();
        assert!(cache.get_client("web").await.unwrap().is_some());
        assert!(cache.remove_client("web").await.unwrap());
        assert_eq!(cache.get_client("web").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_client_removed_by_another_process_works_at_most_for_the_lifetime() {
        let (inner, clock, cache) = setup(10);
        inner.insert_client(&client("web")).await.unwrap();
        assert!(cache.get_client("web").await.unwrap().is_some());

        inner.remove_client("web").await.unwrap();
        assert!(
            cache.get_client("web").await.unwrap().is_some(),
            "documented staleness within the lifetime"
        );
        clock.advance(TimeDelta::seconds(10));
        assert_eq!(cache.get_client("web").await.unwrap(), None);
    }

    #[tokio::test]
    async fn inserting_through_the_cache_drops_a_stale_entry() {
        let (inner, _clock, cache) = setup(10);
        inner.insert_client(&client("web")).await.unwrap();
        assert!(cache.get_client("web").await.unwrap().is_some());
        inner.remove_client("web").await.unwrap();
        let mut renamed = client("web");
        renamed.name = Some("Renamed".to_owned());
        cache.insert_client(&renamed).await.unwrap();
        assert_eq!(cache.get_client("web").await.unwrap(), Some(renamed));
    }

    #[tokio::test]
    async fn r_op_1_an_update_through_the_cache_takes_effect_at_once() {
        let (_inner, _clock, cache) = setup(10);
        cache.insert_client(&client("web")).await.unwrap();
        assert!(cache.get_client("web").await.unwrap().is_some());
        let mut edited = client("web");
        edited.redirect_uris = vec!["https://web.example/new".to_owned()];
        assert!(cache.update_client(&edited).await.unwrap());
        assert_eq!(cache.get_client("web").await.unwrap(), Some(edited));
        assert!(!cache.update_client(&client("nobody")).await.unwrap());
    }

    #[tokio::test]
    async fn a_zero_lifetime_disables_the_cache() {
        let (inner, _clock, cache) = setup(0);
        inner.insert_client(&client("web")).await.unwrap();
        cache.get_client("web").await.unwrap();
        cache.get_client("web").await.unwrap();
        assert_eq!(inner.reads(), 2);
    }
}
