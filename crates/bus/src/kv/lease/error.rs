//! Why a lease operation failed, and which failures mean "you no longer hold it".

use std::time::Duration;

use async_nats::jetstream::{
    context::{CreateKeyValueError, GetStreamError},
    kv,
};

/// A failed lease operation. [`is_lost`](Self::is_lost) tells the holder to stop at once; the
/// other variants are transport or configuration failures.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The lease name is not a valid KV key (`[-/_=.A-Za-z0-9]+`, no leading or trailing `.`).
    #[error("invalid lease name {name:?}")]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// The TTL is below [`MIN_TTL`](super::MIN_TTL).
    #[error("lease TTL {ttl:?} is shorter than the minimum {min:?}")]
    TtlTooShort {
        /// The TTL given.
        ttl: Duration,
        /// The minimum.
        min: Duration,
    },
    /// The bucket's stream could not be looked up.
    #[error("looking up the lease bucket {bucket}: {source}")]
    Inspect {
        /// Bucket name.
        bucket: String,
        /// Cause.
        #[source]
        source: GetStreamError,
    },
    /// The bucket could not be created or updated.
    #[error("creating the lease bucket {bucket}: {source}")]
    Open {
        /// Bucket name.
        bucket: String,
        /// Cause.
        #[source]
        source: CreateKeyValueError,
    },
    /// The lease key could not be read.
    #[error("reading lease {name}: {source}")]
    Read {
        /// Lease name.
        name: String,
        /// Cause.
        #[source]
        source: kv::EntryError,
    },
    /// A write (acquire, renew or release) failed for a reason other than a lost race: the
    /// outcome is unknown, and a holder may retry until its lease's deadline.
    #[error("{op} of lease {name} failed: {source}")]
    Write {
        /// `acquire`, `renew` or `release`.
        op: &'static str,
        /// Lease name.
        name: String,
        /// Cause.
        #[source]
        source: kv::UpdateError,
    },
    /// The server refused the compare-and-set: the key changed since this holder last wrote it
    /// (someone else holds the lease now, or it expired or was deleted).
    #[error("lease {name} (token {token}) is lost: the key changed since it was last renewed")]
    Lost {
        /// Lease name.
        name: String,
        /// The fencing token of the lost lease.
        token: u64,
    },
    /// The holder could not prove it still holds the lease before its local deadline
    /// (`renewed_at + ttl - margin` on its own monotonic clock).
    #[error("lease {name} (token {token}) expired: not renewed before its deadline")]
    Expired {
        /// Lease name.
        name: String,
        /// The fencing token of the expired lease.
        token: u64,
    },
    /// A release got no answer within the TTL (after which the lease expires by itself).
    #[error("release of lease {name} got no answer within {waited:?}")]
    ReleaseTimedOut {
        /// Lease name.
        name: String,
        /// How long it waited.
        waited: Duration,
    },
    /// The holder record could not be encoded.
    #[error("encoding the holder record of lease {name}: {source}")]
    Encode {
        /// Lease name.
        name: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// The stored holder record is not one this version understands.
    #[error("decoding the holder record of lease {name}: {source}")]
    Decode {
        /// Lease name.
        name: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
}

impl LeaseError {
    /// True when the lease is gone for this holder ([`Lost`](Self::Lost) or
    /// [`Expired`](Self::Expired)): stop the guarded work; retrying the renewal cannot help.
    pub fn is_lost(&self) -> bool {
        matches!(self, Self::Lost { .. } | Self::Expired { .. })
    }
}
