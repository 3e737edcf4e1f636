//! A held lease: its fencing token, renewal and release, each a compare-and-set on the revision
//! of the holder's last write.

use std::{fmt, sync::Arc};

use async_nats::jetstream::kv;
use chrono::Utc;
use tokio::time::Instant;

use super::{LeaseError, bucket::Shared, record::Record};

/// A lease this replica holds (from [`LeaseBucket::try_acquire`](super::LeaseBucket::try_acquire)).
/// Dropping it without [`release`](Self::release) leaves the key to expire after the TTL.
pub struct Lease {
    pub(super) shared: Arc<Shared>,
    name: String,
    record: Record,
    token: u64,
    /// Revision of our last successful write: the expected revision of the next one.
    revision: u64,
    /// When our last successful write was sent.
    proven_at: Instant,
    /// `proven_at + ttl - margin`, or earlier once the lease is known lost.
    valid_until: Instant,
    /// Set once a compare-and-set was refused: the lease is someone else's for good.
    lost: bool,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("bucket", &self.shared.bucket)
            .field("name", &self.name)
            .field("holder", &self.record.holder)
            .field("token", &self.token)
            .field("revision", &self.revision)
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

impl Lease {
    /// A lease just acquired by the write of `revision`, sent at `sent_at`.
    pub(super) fn new(
        shared: Arc<Shared>,
        name: String,
        record: Record,
        revision: u64,
        sent_at: Instant,
    ) -> Self {
        let valid_until = sent_at + shared.ttl - shared.margin;
        Self {
            shared,
            name,
            record,
            token: revision,
            revision,
            proven_at: sent_at,
            valid_until,
            lost: false,
        }
    }

    /// The fencing token: the KV revision of the acquiring write. It strictly increases with
    /// every acquisition in the bucket; pass it to guarded writes so the database can refuse a
    /// stale holder.
    pub fn token(&self) -> u64 {
        self.token
    }

    /// The lease name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The holder id given at acquisition.
    pub fn holder(&self) -> &str {
        &self.record.holder
    }

    /// Until when (monotonic clock) the holder may act on the lease without renewing it.
    pub fn valid_until(&self) -> Instant {
        self.valid_until
    }

    /// When the last successful acquire or renew was sent.
    pub fn proven_at(&self) -> Instant {
        self.proven_at
    }

    /// True until [`valid_until`](Self::valid_until), and while the lease is not known lost.
    pub fn is_live(&self) -> bool {
        Instant::now() < self.valid_until
    }

    /// Renews the lease by compare-and-set on the revision of our last write, bounded by the
    /// lease's deadline. [`LeaseError::Lost`] when someone else wrote the key (it was taken
    /// over, expired or was deleted); [`LeaseError::Expired`] when the deadline passed first.
    /// Both are final. [`LeaseError::Write`] is a transport failure: retry until the deadline.
    #[tracing::instrument(level = "debug", skip(self), fields(lease = %self.name, token = self.token))]
    pub async fn renew(&mut self) -> Result<(), LeaseError> {
        let sent_at = Instant::now();
        if self.lost {
            return Err(self.lost());
        }
        if sent_at >= self.valid_until {
            return Err(self.expired());
        }
        let record = Record {
            renewed_at: Utc::now(),
            token: Some(self.token),
            ..self.record.clone()
        };
        let value = serde_json::to_vec(&record).map_err(|source| LeaseError::Encode {
            name: self.name.clone(),
            source,
        })?;
        let write = self
            .shared
            .store
            .update(&self.name, value.into(), self.revision);
        match tokio::time::timeout_at(self.valid_until, write).await {
            Err(_elapsed) => Err(self.expired()),
            Ok(Ok(revision)) => {
                self.revision = revision;
                self.proven_at = sent_at;
                self.valid_until = sent_at + self.shared.ttl - self.shared.margin;
                self.record = record;
                Ok(())
            }
            Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Err(self.lost()),
            Ok(Err(source)) => Err(LeaseError::Write {
                op: "renew",
                name: self.name.clone(),
                source,
            }),
        }
    }

    /// Releases the lease by purging the key with our last revision expected, so another
    /// contender can acquire it at once. [`LeaseError::Lost`] when the key is no longer ours (a
    /// stale holder never releases someone else's lease). Bounded by the server's TTL, after
    /// which the key is gone anyway.
    #[tracing::instrument(level = "debug", skip(self), fields(lease = %self.name, token = self.token))]
    pub async fn release(mut self) -> Result<(), LeaseError> {
        let waited = self.shared.server_ttl;
        let purge = self
            .shared
            .store
            .purge_expect_revision(&self.name, Some(self.revision));
        match tokio::time::timeout(waited, purge).await {
            Err(_elapsed) => Err(LeaseError::ReleaseTimedOut {
                name: self.name.clone(),
                waited,
            }),
            Ok(Ok(())) => {
                tracing::info!(lease = %self.name, token = self.token, "lease released");
                Ok(())
            }
            Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Err(self.lost()),
            Ok(Err(source)) => Err(LeaseError::Write {
                op: "release",
                name: self.name.clone(),
                source,
            }),
        }
    }

    /// Marks the lease lost and says so.
    fn lost(&mut self) -> LeaseError {
        self.lost = true;
        self.valid_until = self.valid_until.min(Instant::now());
        LeaseError::Lost {
            name: self.name.clone(),
            token: self.token,
        }
    }

    /// Marks the lease expired and says so.
    fn expired(&mut self) -> LeaseError {
        self.valid_until = self.valid_until.min(Instant::now());
        LeaseError::Expired {
            name: self.name.clone(),
            token: self.token,
        }
    }
}
