//! Coordination primitives on NATS JetStream key-value buckets, shared by every replica of a
//! service.
//!
//! - [`RateLimiter`] ([`rate_limiter`]): a budget spent by all replicas together (Plaid's
//!   per-client and per-Item limits), spent evenly (GCRA) by compare-and-set on one key each;
//!   [`RateLimitMetrics`] counts its decisions for `/metrics`.
//! - [`LeaseBucket`] / [`Lease`] ([`lease`]): one holder at a time across replicas, with a
//!   TTL enforced by the server and a fencing token for the database.

mod gcra;
mod key;
mod key_locks;
pub mod lease;
mod metrics;
pub mod rate_limiter;

pub use lease::{BUCKET as LEASE_BUCKET, Finished, HolderInfo, Lease, LeaseBucket, LeaseError};
pub use metrics::RateLimitMetrics;
pub use rate_limiter::{BUCKET as RATE_LIMIT_BUCKET, Grant, Limits, RateLimitError, RateLimiter};
