//! A rate limiter shared by every replica, on a NATS JetStream key-value bucket, so that Plaid's
//! per-client budget (`/auth/get`: 12,000/min in production) is spent by all replicas
//! *together*, and its per-Item budget (15/min) likewise.
//!
//! Each budget is one KV key (`<endpoint>.client`, `<endpoint>.item.<item_id>`) whose value is
//! a ring of per-slot counters (see `ring.rs`): the window (60 s) is cut into 12 slots and a
//! request is admitted only if the requests in the current slot and the 12 slots before it, plus
//! this one, stay within the limit. Any 60-second interval lies within 13 consecutive slots, so
//! Plaid's limit holds for *every* 60-second interval, whichever way Plaid aligns its own
//! windows (a fixed window aligned differently could see twice the limit). The price is a
//! slightly longer effective window (65 s with 12 slots of 5 s).
//!
//! Updates are compare-and-swap on the entry's revision, so concurrent replicas never both take
//! the last unit. Keys expire through the bucket's `max_age` once unused. When the budget is
//! spent, [`RateLimiter::acquire`] says how long until a unit frees up; the caller waits
//! (bounded) or hands the message back with that delay.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, context::CreateKeyValueError, kv};

use super::key::key_token;
use super::ring::{Ring, SLOTS};

/// Default bucket name.
pub const BUCKET: &str = "penny_rate_limits";
/// Compare-and-swap attempts before giving up on a hot key.
const MAX_CAS_ATTEMPTS: usize = 32;

/// Limits of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests per window per Item (0 = unlimited).
    pub per_item: u32,
    /// Requests per window for the whole client, all replicas together (0 = unlimited).
    pub per_client: u32,
    /// The window (Plaid: one minute).
    pub window: Duration,
}

/// The decision for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// Go ahead: one unit of each budget is taken.
    Granted,
    /// The budget is spent; try again after this long.
    Wait(Duration),
}

/// Why the limiter could not decide.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// The bucket could not be created or updated.
    #[error("creating the key-value bucket {bucket}: {source}")]
    Open {
        /// Bucket name.
        bucket: String,
        /// Cause.
        #[source]
        source: CreateKeyValueError,
    },
    /// A counter could not be read.
    #[error("reading rate-limit key {key}: {source}")]
    Read {
        /// KV key.
        key: String,
        /// Cause.
        #[source]
        source: kv::EntryError,
    },
    /// A counter could not be written (other than a lost compare-and-swap race).
    #[error("updating rate-limit key {key}: {source}")]
    Update {
        /// KV key.
        key: String,
        /// Cause.
        #[source]
        source: kv::UpdateError,
    },
    /// Every compare-and-swap attempt lost to another replica.
    #[error("rate-limit key {key} is too contended ({attempts} CAS conflicts)")]
    Contended {
        /// KV key.
        key: String,
        /// Attempts made.
        attempts: usize,
    },
}

/// The shared limiter. Cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    store: kv::Store,
    limits: Limits,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// Opens (creating if needed) `bucket` with `replicas` replicas, whose keys expire after
    /// two windows unused.
    pub async fn open(
        js: &jetstream::Context,
        bucket: &str,
        limits: Limits,
        replicas: usize,
    ) -> Result<Self, RateLimitError> {
        let store = js
            .create_or_update_key_value(kv::Config {
                bucket: bucket.to_owned(),
                description: "penny: shared Plaid rate-limit counters".to_owned(),
                history: 1,
                max_age: limits.window * 2 + Duration::from_secs(10),
                max_value_size: 4096,
                num_replicas: replicas.max(1),
                ..Default::default()
            })
            .await
            .map_err(|source| RateLimitError::Open {
                bucket: bucket.to_owned(),
                source,
            })?;
        Ok(Self { store, limits })
    }

    /// The configured limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn slot_len(&self) -> Duration {
        (self.limits.window / u32::try_from(SLOTS).unwrap_or(12)).max(Duration::from_millis(10))
    }

    /// Takes one unit of `endpoint`'s per-Item and per-client budgets, or says how long to wait.
    /// The per-Item budget is checked first, so a busy Item never spends the shared budget.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn acquire(&self, endpoint: &str, item_id: &str) -> Result<Grant, RateLimitError> {
        if self.limits.per_item > 0 {
            let key = format!("{endpoint}.item.{}", key_token(item_id));
            if let Grant::Wait(d) = self.take(&key, self.limits.per_item).await? {
                return Ok(Grant::Wait(d));
            }
        }
        if self.limits.per_client > 0 {
            let key = format!("{endpoint}.client");
            return self.take(&key, self.limits.per_client).await;
        }
        Ok(Grant::Granted)
    }

    async fn take(&self, key: &str, limit: u32) -> Result<Grant, RateLimitError> {
        let slot_len = self.slot_len();
        for _ in 0..MAX_CAS_ATTEMPTS {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let slot_nanos = slot_len.as_nanos().max(1);
            let now_slot = u64::try_from(now.as_nanos() / slot_nanos).unwrap_or(u64::MAX);
            let entry = self
                .store
                .entry(key)
                .await
                .map_err(|source| RateLimitError::Read {
                    key: key.to_owned(),
                    source,
                })?;
            let (ring, revision) = match &entry {
                Some(e) if e.operation == kv::Operation::Put => {
                    (Ring::decode(&e.value), e.revision)
                }
                Some(e) => (Ring::default(), e.revision),
                None => (Ring::default(), 0),
            };
            match ring.admit(now_slot, limit) {
                Ok(next) => match self.store.update(key, next.encode(), revision).await {
                    Ok(_) => return Ok(Grant::Granted),
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                    Err(source) => {
                        return Err(RateLimitError::Update {
                            key: key.to_owned(),
                            source,
                        });
                    }
                },
                Err(slots) => {
                    let next_slot_start = Duration::from_nanos(
                        u64::try_from((u128::from(now_slot) + u128::from(slots)) * slot_nanos)
                            .unwrap_or(u64::MAX),
                    );
                    let wait = next_slot_start.saturating_sub(now) + Duration::from_millis(5);
                    return Ok(Grant::Wait(wait));
                }
            }
        }
        Err(RateLimitError::Contended {
            key: key.to_owned(),
            attempts: MAX_CAS_ATTEMPTS,
        })
    }
}
