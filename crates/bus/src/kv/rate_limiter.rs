//! A rate limiter shared by every replica, on a NATS JetStream key-value bucket, so that Plaid's
//! per-client budget (`/auth/get`: 12,000/min in production) is spent by all replicas
//! *together*, and its per-Item budget (15/min) likewise.
//!
//! Each budget is one KV key (`<endpoint>.client`, `<endpoint>.item.<item_id>`) whose value is
//! the theoretical arrival time of the next unit (GCRA, see `gcra.rs`): the budget is spent at a
//! steady rate with a one-second burst, never a whole minute's budget at once, and Plaid's limit
//! holds for *every* 60-second interval, whichever way Plaid aligns its own windows.
//!
//! Time is each replica's wall clock (microseconds since the epoch). Replicas must keep their
//! clocks in sync (NTP): a replica `δ` ahead lets `δ / interval` extra units through once (at
//! 12,000/min, 10 ms of skew is two units).
//!
//! Updates are compare-and-swap on the entry's revision, so concurrent replicas never both take
//! the last unit. Keys expire through the bucket's `max_age` once unused. When the budget is
//! spent, [`RateLimiter::acquire`] says how long until a unit frees up; the caller waits
//! (bounded) or hands the message back with that delay.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, context::CreateKeyValueError, kv};

use super::gcra::{self, Schedule};
use super::key::key_token;
use super::key_locks::KeyLocks;
use super::metrics::{Budget, RateLimitMetrics};

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
    metrics: Option<RateLimitMetrics>,
    /// The client and turn keys are taken one caller at a time within this replica.
    locks: KeyLocks,
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
                // A TAT is at most a few intervals ahead; an unused key is simply gone.
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
        Ok(Self {
            store,
            limits,
            metrics: None,
            locks: KeyLocks::default(),
        })
    }

    /// Counts every decision in `metrics` (and publishes the client budget there).
    pub fn with_metrics(mut self, metrics: RateLimitMetrics) -> Self {
        metrics.limits(self.limits);
        self.metrics = Some(metrics);
        self
    }

    /// The configured limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Units per second the per-client budget allows at its steady rate (0 = unlimited).
    pub fn client_rate_per_second(&self) -> f64 {
        if self.limits.per_client == 0 {
            0.0
        } else {
            self.client_schedule().rate_per_second()
        }
    }

    /// Takes one unit of `endpoint`'s per-Item and per-client budgets, or says how long to wait.
    /// The per-Item budget is checked first, so a busy Item never spends the shared budget.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn acquire(&self, endpoint: &str, item_id: &str) -> Result<Grant, RateLimitError> {
        if let Grant::Wait(d) = self.take_item(endpoint, item_id).await? {
            return Ok(Grant::Wait(d));
        }
        if self.limits.per_client > 0 {
            return self.take_client(endpoint).await;
        }
        Ok(Grant::Granted)
    }

    /// Like [`RateLimiter::acquire`], for a caller that will not wait but hand its work back
    /// and come again (a consumer's redelivery delay). When the per-client budget is spent, it
    /// also takes the caller's *turn*: waiters are spaced one unit apart from the moment the
    /// budget next frees up, shared by every replica, so a thousand handed-back messages come
    /// back one by one at the budget's pace instead of all at once at the next free unit (and
    /// mostly find their unit). The returned wait is until the caller's turn. A spent per-Item
    /// budget returns its own wait and takes no turn.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn acquire_or_queue(
        &self,
        endpoint: &str,
        item_id: &str,
    ) -> Result<Grant, RateLimitError> {
        if let Grant::Wait(d) = self.take_item(endpoint, item_id).await? {
            return Ok(Grant::Wait(d));
        }
        if self.limits.per_client == 0 {
            return Ok(Grant::Granted);
        }
        match self.take_client(endpoint).await? {
            Grant::Granted => Ok(Grant::Granted),
            Grant::Wait(wait) => self.turn(endpoint, wait).await.map(Grant::Wait),
        }
    }

    /// Takes the next turn of `endpoint`'s waiters, at the earliest `wait` from now; returns
    /// how long until it. Turns are 2% more than one unit apart: a waiter that comes back a
    /// little late (its redelivery, its handler) pushes the budget's schedule by its lateness,
    /// and without that slack the next waiter, on time, would find the unit not yet free (a
    /// large budget's one-second burst absorbs it anyway; a small one's does not).
    async fn turn(&self, endpoint: &str, wait: Duration) -> Result<Duration, RateLimitError> {
        let key = format!("{endpoint}.turns");
        let lock = self.locks.of(&key);
        let _one_at_a_time = lock.lock().await;
        let schedule = self.client_schedule();
        for _ in 0..MAX_CAS_ATTEMPTS {
            let (next, revision) = self.read(&key).await?;
            let now = now_micros();
            let earliest = now.saturating_add(u64::try_from(wait.as_micros()).unwrap_or(0));
            let mine = next.max(earliest);
            let spacing = schedule.interval_micros() + schedule.interval_micros() / 50;
            let after = mine.saturating_add(spacing);
            match self
                .store
                .update(&key, after.to_string().into(), revision)
                .await
            {
                Ok(_) => return Ok(Duration::from_micros(mine - now)),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                Err(source) => {
                    return Err(RateLimitError::Update {
                        key: key.clone(),
                        source,
                    });
                }
            }
        }
        Err(RateLimitError::Contended {
            key,
            attempts: MAX_CAS_ATTEMPTS,
        })
    }

    /// The stored time of `key` (0 when absent or deleted) and its revision.
    async fn read(&self, key: &str) -> Result<(u64, u64), RateLimitError> {
        let entry = self
            .store
            .entry(key)
            .await
            .map_err(|source| RateLimitError::Read {
                key: key.to_owned(),
                source,
            })?;
        Ok(match &entry {
            Some(e) if e.operation == kv::Operation::Put => (gcra::decode(&e.value), e.revision),
            Some(e) => (0, e.revision),
            None => (0, 0),
        })
    }

    /// Takes one unit of `item_id`'s budget for `endpoint` (granted when unlimited).
    async fn take_item(&self, endpoint: &str, item_id: &str) -> Result<Grant, RateLimitError> {
        if self.limits.per_item == 0 {
            return Ok(Grant::Granted);
        }
        let key = format!("{endpoint}.item.{}", key_token(item_id));
        let grant = self.take(&key, self.item_schedule()).await?;
        self.count(endpoint, Budget::Item, &grant);
        Ok(grant)
    }

    /// Takes one unit of the client's budget for `endpoint`.
    async fn take_client(&self, endpoint: &str) -> Result<Grant, RateLimitError> {
        let key = format!("{endpoint}.client");
        let lock = self.locks.of(&key);
        let _one_at_a_time = lock.lock().await;
        let grant = self.take(&key, self.client_schedule()).await?;
        self.count(endpoint, Budget::Client, &grant);
        Ok(grant)
    }

    fn count(&self, endpoint: &str, budget: Budget, grant: &Grant) {
        if let Some(metrics) = &self.metrics {
            metrics.decided(endpoint, budget, grant);
        }
    }

    /// The per-client budget: spent evenly, one second's share at once.
    fn client_schedule(&self) -> Schedule {
        Schedule::shared(self.limits.per_client, self.limits.window)
    }

    /// A per-Item budget: small, so half of it may go at once.
    fn item_schedule(&self) -> Schedule {
        Schedule::small(self.limits.per_item, self.limits.window)
    }

    async fn take(&self, key: &str, schedule: Schedule) -> Result<Grant, RateLimitError> {
        for _ in 0..MAX_CAS_ATTEMPTS {
            let entry = self
                .store
                .entry(key)
                .await
                .map_err(|source| RateLimitError::Read {
                    key: key.to_owned(),
                    source,
                })?;
            let (tat, revision) = match &entry {
                Some(e) if e.operation == kv::Operation::Put => {
                    (gcra::decode(&e.value), e.revision)
                }
                Some(e) => (0, e.revision),
                None => (0, 0),
            };
            let now = u64::try_from(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_micros(),
            )
            .unwrap_or(u64::MAX);
            match schedule.admit(tat, now) {
                Ok(next) => match self
                    .store
                    .update(key, next.to_string().into(), revision)
                    .await
                {
                    Ok(_) => return Ok(Grant::Granted),
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                    Err(source) => {
                        return Err(RateLimitError::Update {
                            key: key.to_owned(),
                            source,
                        });
                    }
                },
                Err(wait) => return Ok(Grant::Wait(wait + Duration::from_millis(1))),
            }
        }
        Err(RateLimitError::Contended {
            key: key.to_owned(),
            attempts: MAX_CAS_ATTEMPTS,
        })
    }
}

/// The wall clock in microseconds since the Unix epoch.
fn now_micros() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros(),
    )
    .unwrap_or(u64::MAX)
}
