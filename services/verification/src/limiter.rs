//! A rate limiter shared by every replica, on a NATS JetStream key-value bucket, so that Plaid's
//! per-client budget (`/auth/get`: 12,000/min in production) is spent by all replicas
//! *together*, and its per-Item budget (15/min) likewise.
//!
//! Each budget is one KV key (`<endpoint>.client`, `<endpoint>.item.<item_id>`) whose value is
//! a ring of per-slot counters: the window (60 s) is cut into [`SLOTS`] slots and a request is
//! admitted only if the requests in the current slot and the `SLOTS` slots before it, plus this
//! one, stay within the limit. Any 60-second interval lies within `SLOTS + 1` consecutive slots,
//! so Plaid's limit holds for *every* 60-second interval, whichever way Plaid aligns its own
//! windows (a fixed window aligned differently could see twice the limit). The price is a
//! slightly longer effective window (65 s with 12 slots of 5 s).
//!
//! Updates are compare-and-swap on the entry's revision, so concurrent replicas never both take
//! the last unit. Keys expire through the bucket's `max_age` once unused. When the budget is
//! spent, [`RateLimiter::acquire`] says how long until a unit frees up; the caller waits
//! (bounded) or hands the message back with that delay.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Slots per window.
pub const SLOTS: u64 = 12;
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
pub enum Admission {
    /// Go ahead: one unit of each budget is taken.
    Granted,
    /// The budget is spent; try again after this long.
    Wait(Duration),
}

/// The per-slot counters of one key, oldest first: `(slot index, count)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ring(Vec<(u64, u32)>);

impl Ring {
    /// Decodes `slot:count,slot:count`; garbage decodes as empty (fails open only for one
    /// corrupted key, which the next write repairs).
    pub fn decode(bytes: &[u8]) -> Self {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        Self(
            text.split(',')
                .filter_map(|pair| {
                    let (slot, count) = pair.split_once(':')?;
                    Some((slot.parse().ok()?, count.parse().ok()?))
                })
                .collect(),
        )
    }

    /// Encodes as `slot:count,slot:count`.
    pub fn encode(&self) -> Bytes {
        let text = self
            .0
            .iter()
            .map(|(slot, count)| format!("{slot}:{count}"))
            .collect::<Vec<_>>()
            .join(",");
        Bytes::from(text)
    }

    /// Requests counted in slots `from..=to`.
    fn sum(&self, from: u64, to: u64) -> u64 {
        self.0
            .iter()
            .filter(|(slot, _)| (from..=to).contains(slot))
            .map(|(_, count)| u64::from(*count))
            .sum()
    }

    /// Decides whether one more request fits at slot `now_slot` under `limit`; if it does,
    /// returns the ring with it counted (older slots dropped). `Err(slots)` = the number of
    /// slots to wait before it would fit.
    pub fn admit(&self, now_slot: u64, limit: u32) -> Result<Ring, u64> {
        let limit = u64::from(limit);
        let oldest = now_slot.saturating_sub(SLOTS);
        if self.sum(oldest, now_slot) < limit {
            let mut kept: Vec<(u64, u32)> = self
                .0
                .iter()
                .copied()
                .filter(|(slot, _)| *slot >= oldest && *slot <= now_slot)
                .collect();
            match kept.iter_mut().find(|(slot, _)| *slot == now_slot) {
                Some((_, count)) => *count = count.saturating_add(1),
                None => kept.push((now_slot, 1)),
            }
            kept.sort_unstable();
            return Ok(Ring(kept));
        }
        // The smallest d such that the slots still in the window at now_slot + d leave room.
        let wait = (1..=SLOTS + 1)
            .find(|d| self.sum(oldest + d, now_slot) < limit)
            .unwrap_or(SLOTS + 1);
        Err(wait)
    }
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
    /// Opens (creating if needed) `bucket`, whose keys expire after two windows unused.
    pub async fn open(
        js: &jetstream::Context,
        bucket: &str,
        limits: Limits,
        replicas: usize,
    ) -> anyhow::Result<Self> {
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
            .with_context(|| format!("creating the key-value bucket {bucket}"))?;
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
    pub async fn acquire(&self, endpoint: &str, item_id: &str) -> anyhow::Result<Admission> {
        if self.limits.per_item > 0 {
            let key = format!("{endpoint}.item.{}", key_token(item_id));
            if let Admission::Wait(d) = self.take(&key, self.limits.per_item).await? {
                return Ok(Admission::Wait(d));
            }
        }
        if self.limits.per_client > 0 {
            let key = format!("{endpoint}.client");
            return self.take(&key, self.limits.per_client).await;
        }
        Ok(Admission::Granted)
    }

    async fn take(&self, key: &str, limit: u32) -> anyhow::Result<Admission> {
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
                .with_context(|| format!("reading rate-limit key {key}"))?;
            let (ring, revision) = match &entry {
                Some(e) if e.operation == kv::Operation::Put => {
                    (Ring::decode(&e.value), e.revision)
                }
                Some(e) => (Ring::default(), e.revision),
                None => (Ring::default(), 0),
            };
            match ring.admit(now_slot, limit) {
                Ok(next) => match self.store.update(key, next.encode(), revision).await {
                    Ok(_) => return Ok(Admission::Granted),
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                    Err(e) => {
                        return Err(anyhow::Error::new(e))
                            .with_context(|| format!("updating rate-limit key {key}"));
                    }
                },
                Err(slots) => {
                    let next_slot_start = Duration::from_nanos(
                        u64::try_from((u128::from(now_slot) + u128::from(slots)) * slot_nanos)
                            .unwrap_or(u64::MAX),
                    );
                    let wait = next_slot_start.saturating_sub(now) + Duration::from_millis(5);
                    return Ok(Admission::Wait(wait));
                }
            }
        }
        anyhow::bail!("rate-limit key {key} is too contended ({MAX_CAS_ATTEMPTS} CAS conflicts)")
    }
}

/// Makes an id a safe KV key token: kept when it is plain `[A-Za-z0-9_-]`, else hashed.
fn key_token(id: &str) -> String {
    if !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        id.to_owned()
    } else {
        hex::encode(&Sha256::digest(id.as_bytes())[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_round_trips_and_tolerates_garbage() {
        let ring = Ring(vec![(10, 3), (12, 1)]);
        assert_eq!(Ring::decode(&ring.encode()), ring);
        assert_eq!(Ring::decode(b"nonsense,1:x"), Ring::default());
    }

    #[test]
    fn admits_up_to_the_limit_across_the_window_and_its_partial_neighbour() {
        let mut ring = Ring::default();
        for _ in 0..3 {
            ring = ring.admit(100, 3).unwrap();
        }
        assert_eq!(ring.admit(100, 3), Err(SLOTS + 1));
        // Still full SLOTS slots later: slot 100 is within [now - SLOTS, now].
        assert_eq!(ring.admit(100 + SLOTS, 3), Err(1));
        // One more slot and slot 100 has left the window.
        assert!(ring.admit(101 + SLOTS, 3).is_ok());
    }

    #[test]
    fn wait_is_until_enough_old_requests_leave() {
        let ring = Ring(vec![(95, 2), (99, 1), (100, 1)]);
        // limit 4, 4 counted in [88, 100]: slot 95 must leave, i.e. now = 95 + SLOTS + 1.
        assert_eq!(ring.admit(100, 4), Err(95 + SLOTS + 1 - 100));
    }

    #[test]
    fn never_more_than_the_limit_in_any_window_of_slots() {
        // Simulate one request attempt per tick, 4 ticks per slot, with limit 5: every span
        // of SLOTS + 1 slots holds at most 5 admitted requests.
        let mut ring = Ring::default();
        let mut admitted = Vec::new();
        for tick in 0..400u64 {
            let slot = tick / 4;
            if let Ok(next) = ring.admit(slot, 5) {
                ring = next;
                admitted.push(slot);
            }
        }
        for start in 0..100 {
            let n = admitted
                .iter()
                .filter(|s| (start..=start + SLOTS).contains(*s))
                .count();
            assert!(n <= 5, "{n} in slots {start}..={}", start + SLOTS);
        }
        assert!(admitted.len() >= 5 * (100 / (SLOTS as usize + 1)));
    }

    #[test]
    fn key_tokens_are_safe() {
        assert_eq!(key_token("eVBnVMp7zdTJLkRNr33R"), "eVBnVMp7zdTJLkRNr33R");
        let hashed = key_token("a.b*c>");
        assert_eq!(hashed.len(), 32);
        assert!(hashed.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
