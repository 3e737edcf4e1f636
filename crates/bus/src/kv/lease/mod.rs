//! A lease with a fencing token on a NATS JetStream key-value bucket: one holder at a time
//! across replicas (transfer-events' single sync, the notifier's scheduler).
//!
//! ```no_run
//! # async fn demo(js: async_nats::jetstream::Context, shutdown: tokio_util::sync::CancellationToken)
//! # -> Result<(), penny_bus::kv::LeaseError> {
//! use std::time::Duration;
//! use penny_bus::kv::{LeaseBucket, LEASE_BUCKET};
//!
//! let leases = LeaseBucket::open(&js, LEASE_BUCKET, Duration::from_secs(10), 1).await?;
//! if let Some(lease) = leases.try_acquire("transfer-events.sync", "replica-7f9c").await? {
//!     let finished = lease
//!         .run_while_held(&shutdown, |token, cancel| async move {
//!             // Sync, passing `token` to every guarded database write; stop when `cancel` fires.
//!             let _ = (token, cancel);
//!         })
//!         .await;
//!     let _ = finished.is_lost();
//! }
//! # Ok(()) }
//! ```
//!
//! # Protocol
//!
//! One KV key per lease name; its value names the holder ([`HolderInfo`]). Every write is a
//! compare-and-set on the key's revision:
//!
//! - **acquire** ([`LeaseBucket::try_acquire`]): write only if the key is absent (or a
//!   delete/purge marker), i.e. expected revision 0 or the marker's. A live holder's key makes
//!   it answer `None` at once; of concurrent contenders exactly one wins the CAS.
//! - **renew** ([`Lease::renew`]): write with the revision of our last write. Any other write
//!   in between (a new holder, or the key expiring) makes the server refuse it:
//!   [`LeaseError::Lost`].
//! - **release** ([`Lease::release`]): purge with the same expected revision, so a stale
//!   holder can never release someone else's lease.
//!
//! **Fencing token.** [`Lease::token`] is the KV revision of the acquiring write: a stream
//! sequence, so it strictly increases with every acquisition of every lease in the bucket, and
//! it survives server restarts. Leases limit concurrency; they cannot stop a paused ex-holder
//! from writing later. Guarded writes must therefore carry the token and the database must
//! refuse a token smaller than the last one it accepted. Deleting the bucket restarts the
//! sequence at 1, which would make the database refuse every new holder: never delete a lease
//! bucket in production (purging keys is fine).
//!
//! # TTL: the bucket's `max_age`, enforced by the server
//!
//! The bucket's `max_age` is the lease TTL, so a key nobody renews is removed by the server,
//! on the server's clock, `ttl` after its last write, and the next contender's CAS on revision
//! 0 then succeeds. Each renewal is a new message, which restarts its age.
//!
//! Per-message TTL (`Nats-TTL`, nats-server ≥ 2.11, `kv::Config::limit_markers` in async-nats
//! 0.51) was the alternative and is not used: async-nats 0.51 sets a TTL only on `create` (not
//! on `update`, so renewals would need a hand-built publish), it sends the TTL in whole seconds
//! (`as_secs`, so 1.5 s becomes 1 s: *shorter* than the holder believes), and it needs the
//! server feature on the stream. Its one advantage, a different TTL per key in one bucket, is
//! not needed: the price of `max_age` is **one TTL per bucket** (use another bucket for
//! another TTL).
//!
//! [`LeaseBucket::open`] never shortens an existing bucket's `max_age` (holders that opened it
//! with the longer TTL would otherwise lose their leases before their own deadline): it raises
//! a shorter (or unlimited) one to `ttl` and keeps a longer one, in which case this replica's
//! leases are still judged by its own, shorter `ttl` (safe; hand-over just takes the longer
//! time). Two replicas opening at the same instant with different TTLs can still race (stream
//! updates have no compare-and-set); the database fence covers that case.
//!
//! # The holder's own deadline
//!
//! A holder treats its lease as valid only until `proven_at + ttl - margin` on its own
//! monotonic clock, where `proven_at` is when it *sent* its last successful write (the server
//! stamps the message later, so the server-side expiry is never earlier) and `margin` (a tenth
//! of the TTL) absorbs clock-rate differences and a server clock that steps. Renewals are
//! bounded by that deadline; past it the lease is [`LeaseError::Expired`] for good.
//! [`Lease::run_while_held`] renews every `ttl / 3` and cancels the work as soon as the lease
//! is lost or can no longer be proven.

mod bucket;
mod error;
mod held;
mod record;
mod run;

use std::time::Duration;

pub use bucket::LeaseBucket;
pub use error::LeaseError;
pub use held::Lease;
pub use record::HolderInfo;
pub use run::Finished;

/// Default bucket name.
pub const BUCKET: &str = "penny_leases";
/// The shortest TTL accepted: a holder renews every `ttl / 3` and must get an answer within
/// its deadline, so the TTL must leave room for several NATS round trips.
pub const MIN_TTL: Duration = Duration::from_secs(1);
