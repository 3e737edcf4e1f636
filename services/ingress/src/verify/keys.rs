//! The verification-key cache, following Plaid's reference algorithm (support article
//! 360041410794): keys are cached by `kid`; when a webhook arrives with an unknown `kid`, every
//! cached key whose `expired_at` is still null is refreshed together with the fetch of the new
//! one, which is how a rotation (old key gets `expired_at`) is noticed.
//!
//! Hardening on top of the reference:
//! * **single flight**: concurrent requests for the same unknown `kid` share one fetch, which
//!   runs in its own task so a client hanging up does not cancel it for the others;
//! * **negative cache**: key ids Plaid rejected are remembered (bounded, with a TTL);
//! * **flight budget**: a token bucket limits how many unknown key ids may start a fetch per
//!   second, so a flood of random `kid`s cannot become a flood of calls to Plaid.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};

use super::negative::NegativeCache;
use super::source::{FetchError, KeySource, VerificationKey};
use crate::log_budget::LogBudget;
use crate::metrics::{KeyFetchOutcome, Metrics};
use crate::throttle::TokenBucket;

/// Tuning of the key cache.
#[derive(Debug, Clone)]
pub struct KeyCacheSettings {
    /// Bound on one key fetch (on top of the Plaid client's own timeout).
    pub fetch_timeout: Duration,
    /// How long a key id Plaid rejected is remembered.
    pub negative_ttl: Duration,
    /// How many rejected key ids are remembered at most.
    pub negative_capacity: usize,
    /// Sustained rate of fetch flights for unknown key ids, per second.
    pub flights_per_second: f64,
    /// Burst of fetch flights for unknown key ids.
    pub flight_burst: u32,
}

impl Default for KeyCacheSettings {
    fn default() -> Self {
        Self {
            fetch_timeout: Duration::from_secs(3),
            negative_ttl: Duration::from_secs(600),
            negative_capacity: 10_000,
            flights_per_second: 2.0,
            flight_burst: 10,
        }
    }
}

/// A key ready for verification: parsed once per kid, reused for every webhook it signed.
pub(crate) struct CachedKey {
    pub public: ParsedPublicKey,
    pub expired_at: Option<i64>,
}

impl CachedKey {
    /// Whether the JOSE `r || s` `signature` over `signing_input` verifies with this key (the
    /// one check, wherever it runs: on an async worker or on a pool thread).
    pub(crate) fn signed(&self, signing_input: &[u8], signature: &[u8; 64]) -> bool {
        self.public.verify_sig(signing_input, signature).is_ok()
    }
}

/// Why no usable key was found for a `kid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// Plaid does not know the key id (now or recently).
    Unknown,
    /// Plaid returned something that is not an ES256 public key.
    Unusable,
    /// Plaid could not be asked; try again later.
    Unavailable,
    /// Too many unknown key ids recently; try again later.
    Throttled,
}

type Flight = Shared<BoxFuture<'static, Result<Arc<CachedKey>, LookupError>>>;

/// Verification keys by `kid`, with single-flight fetching and a negative cache.
pub struct KeyCache {
    source: Arc<dyn KeySource>,
    settings: KeyCacheSettings,
    metrics: Arc<Metrics>,
    keys: RwLock<HashMap<String, Arc<CachedKey>>>,
    negative: Mutex<NegativeCache>,
    flights: Mutex<HashMap<String, Flight>>,
    budget: Mutex<TokenBucket>,
    /// Which throttled lookups get a log line (a flood of random kids would be one per kid).
    throttled_log: LogBudget,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The protected data stays consistent even if a holder panicked: every critical section
    // is a single map/queue operation.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KeyCache {
    /// A cache fetching from `source`.
    pub fn new(
        source: Arc<dyn KeySource>,
        settings: KeyCacheSettings,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let negative = NegativeCache::new(settings.negative_ttl, settings.negative_capacity);
        let budget = TokenBucket::new(
            settings.flights_per_second,
            settings.flight_burst,
            Instant::now(),
        );
        Arc::new(Self {
            source,
            settings,
            metrics,
            keys: RwLock::new(HashMap::new()),
            negative: Mutex::new(negative),
            flights: Mutex::new(HashMap::new()),
            budget: Mutex::new(budget),
            throttled_log: LogBudget::default(),
        })
    }

    fn cached(&self, kid: &str) -> Option<Arc<CachedKey>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(kid)
            .cloned()
    }

    /// The key for `kid`: from the cache, or fetched once however many callers ask at once.
    pub(crate) async fn get(self: &Arc<Self>, kid: &str) -> Result<Arc<CachedKey>, LookupError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let flight = {
            let mut flights = lock(&self.flights);
            // A flight inserts its key before it unregisters, so re-checking under the
            // flights lock cannot miss a key that was fetched a moment ago.
            if let Some(key) = self.cached(kid) {
                return Ok(key);
            }
            if let Some(flight) = flights.get(kid) {
                flight.clone()
            } else {
                if lock(&self.negative).contains(kid, Instant::now()) {
                    self.metrics.record_negative_hit();
                    return Err(LookupError::Unknown);
                }
                let this = Arc::clone(self);
                let owned = kid.to_owned();
                let task = tokio::spawn(async move { this.fly(owned).await });
                let flight = async move { task.await.unwrap_or(Err(LookupError::Unavailable)) }
                    .boxed()
                    .shared();
                flights.insert(kid.to_owned(), flight.clone());
                flight
            }
        };
        flight.await
    }

    /// One flight for an unknown `kid`: fetch it and refresh every current cached key.
    async fn fly(self: Arc<Self>, kid: String) -> Result<Arc<CachedKey>, LookupError> {
        let result = self.fly_inner(&kid).await;
        lock(&self.flights).remove(&kid);
        result
    }

    async fn fly_inner(&self, kid: &str) -> Result<Arc<CachedKey>, LookupError> {
        if !lock(&self.budget).try_take(Instant::now()) {
            if let Some(left_out) = self.throttled_log.admit() {
                tracing::warn!(
                    similar_lines_left_out = left_out,
                    "unknown key id lookups over budget, not fetching"
                );
            }
            return Err(LookupError::Throttled);
        }
        let current: Vec<String> = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(_, k)| k.expired_at.is_none())
            .map(|(kid, _)| kid.clone())
            .collect();
        let (fetched, refreshed) = futures::join!(
            self.fetch_one(kid),
            futures::future::join_all(current.iter().map(|k| self.fetch_one(k)))
        );
        {
            let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            for (old_kid, result) in current.iter().zip(refreshed) {
                match result {
                    Ok(key) => {
                        if key.expired_at.is_some() {
                            tracing::info!(kid = %old_kid, "verification key expired");
                        }
                        keys.insert(old_kid.clone(), key);
                    }
                    // Plaid no longer knows it: stop trusting it.
                    Err(LookupError::Unknown | LookupError::Unusable) => {
                        keys.remove(old_kid);
                    }
                    // Could not refresh: keep what we have.
                    Err(LookupError::Unavailable | LookupError::Throttled) => {}
                }
            }
            if let Ok(key) = &fetched {
                keys.insert(kid.to_owned(), Arc::clone(key));
            }
        }
        if let Err(LookupError::Unknown | LookupError::Unusable) = fetched {
            lock(&self.negative).insert(kid, Instant::now());
        }
        fetched
    }

    async fn fetch_one(&self, kid: &str) -> Result<Arc<CachedKey>, LookupError> {
        let result =
            match tokio::time::timeout(self.settings.fetch_timeout, self.source.fetch(kid)).await {
                Ok(result) => result,
                Err(_elapsed) => Err(FetchError::Unavailable("timed out".to_owned())),
            };
        match result {
            Ok(key) => {
                self.metrics.record_key_fetch(KeyFetchOutcome::Found);
                usable(kid, &key).map(Arc::new).ok_or_else(|| {
                    tracing::error!(kid, "Plaid returned a key that is not an ES256 P-256 key");
                    LookupError::Unusable
                })
            }
            Err(FetchError::Rejected) => {
                self.metrics.record_key_fetch(KeyFetchOutcome::Rejected);
                Err(LookupError::Unknown)
            }
            Err(FetchError::Unavailable(reason)) => {
                self.metrics.record_key_fetch(KeyFetchOutcome::Unavailable);
                tracing::warn!(kid, %reason, "verification key fetch failed");
                Err(LookupError::Unavailable)
            }
        }
    }
}

/// The parsed public key for `key` if it is the ES256 P-256 key for `kid`.
fn usable(kid: &str, key: &VerificationKey) -> Option<CachedKey> {
    let coordinate = |c: &str| URL_SAFE_NO_PAD.decode(c).ok().filter(|b| b.len() == 32);
    if key.kid != kid || key.kty != "EC" || key.crv != "P-256" || key.alg != "ES256" {
        return None;
    }
    let (x, y) = (coordinate(&key.x)?, coordinate(&key.y)?);
    // SEC 1 uncompressed point: 0x04 || x || y. Parsing checks the point is on the curve.
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let public = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).ok()?;
    Some(CachedKey {
        public,
        expired_at: key.expired_at,
    })
}
