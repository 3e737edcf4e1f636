//! The lease bucket: opening it with its TTL, acquiring a lease, and reading who holds one.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::{
    self, ErrorCode,
    context::GetStreamErrorKind,
    kv::{self, Operation},
};
use chrono::Utc;
use tokio::time::Instant;

use super::{HolderInfo, Lease, LeaseError, MIN_TTL, record::Record};
use crate::kv::key::is_valid_key;

/// The safety margin is this fraction of the TTL.
const MARGIN_DIVISOR: u32 = 10;

/// A bucket of leases sharing one TTL. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LeaseBucket {
    shared: Arc<Shared>,
}

/// What a bucket and its leases share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: kv::Store,
    pub(crate) bucket: String,
    /// This replica's TTL: the lifetime of a lease as its holder judges it.
    pub(crate) ttl: Duration,
    /// The bucket's `max_age` (≥ `ttl`): when the server removes a key nobody renews.
    pub(crate) server_ttl: Duration,
    pub(crate) margin: Duration,
}

impl LeaseBucket {
    /// Opens `bucket` (creating it with `replicas` replicas if needed) for leases of `ttl`
    /// (at least [`MIN_TTL`]). An existing bucket's `max_age` is raised to `ttl` if shorter and
    /// kept if longer (see the module doc).
    #[tracing::instrument(level = "debug", skip(js))]
    pub async fn open(
        js: &jetstream::Context,
        bucket: &str,
        ttl: Duration,
        replicas: usize,
    ) -> Result<Self, LeaseError> {
        if ttl < MIN_TTL {
            return Err(LeaseError::TtlTooShort { ttl, min: MIN_TTL });
        }
        let server_ttl = match existing_max_age(js, bucket).await? {
            Some(age) if age >= ttl => {
                if age > ttl {
                    tracing::warn!(
                        bucket,
                        ?ttl,
                        bucket_ttl = ?age,
                        "the lease bucket keeps unrenewed leases longer than this replica's TTL; \
                         hand-over takes the longer time"
                    );
                }
                age
            }
            _ => ttl,
        };
        let store = js
            .create_or_update_key_value(kv::Config {
                bucket: bucket.to_owned(),
                description: "penny: leases (one holder at a time), max_age = TTL".to_owned(),
                history: 1,
                max_age: server_ttl,
                max_value_size: 1024,
                num_replicas: replicas.max(1),
                ..Default::default()
            })
            .await
            .map_err(|source| LeaseError::Open {
                bucket: bucket.to_owned(),
                source,
            })?;
        Ok(Self {
            shared: Arc::new(Shared {
                store,
                bucket: bucket.to_owned(),
                ttl,
                server_ttl,
                margin: ttl / MARGIN_DIVISOR,
            }),
        })
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.shared.bucket
    }

    /// This replica's lease TTL.
    pub fn ttl(&self) -> Duration {
        self.shared.ttl
    }

    /// The bucket's `max_age`: how long after its last renewal an abandoned lease is freed.
    pub fn server_ttl(&self) -> Duration {
        self.shared.server_ttl
    }

    /// Acquires lease `name` for `holder` (an id for operators, e.g. the pod name), or returns
    /// `None` at once when someone else holds it (or won the race for it). Does not wait.
    #[tracing::instrument(level = "debug", skip(self), fields(bucket = %self.shared.bucket))]
    pub async fn try_acquire(&self, name: &str, holder: &str) -> Result<Option<Lease>, LeaseError> {
        let shared = &self.shared;
        check_name(name)?;
        let entry = shared
            .store
            .entry(name)
            .await
            .map_err(|source| LeaseError::Read {
                name: name.to_owned(),
                source,
            })?;
        let expected = match entry {
            None => 0,
            Some(e) if matches!(e.operation, Operation::Delete | Operation::Purge) => e.revision,
            Some(_) => return Ok(None),
        };
        let now = Utc::now();
        let record = Record {
            holder: holder.to_owned(),
            acquired_at: now,
            renewed_at: now,
            token: None,
        };
        let value = serde_json::to_vec(&record).map_err(|source| LeaseError::Encode {
            name: name.to_owned(),
            source,
        })?;
        let sent_at = Instant::now();
        match shared.store.update(name, value.into(), expected).await {
            Ok(revision) => {
                tracing::info!(lease = name, holder, token = revision, "lease acquired");
                Ok(Some(Lease::new(
                    Arc::clone(shared),
                    name.to_owned(),
                    record,
                    revision,
                    sent_at,
                )))
            }
            Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(None),
            Err(source) => Err(LeaseError::Write {
                op: "acquire",
                name: name.to_owned(),
                source,
            }),
        }
    }

    /// Who holds lease `name` now, for operators (`None` when nobody does).
    pub async fn holder(&self, name: &str) -> Result<Option<HolderInfo>, LeaseError> {
        check_name(name)?;
        let entry = self
            .shared
            .store
            .entry(name)
            .await
            .map_err(|source| LeaseError::Read {
                name: name.to_owned(),
                source,
            })?;
        let Some(entry) = entry.filter(|e| e.operation == Operation::Put) else {
            return Ok(None);
        };
        let record: Record =
            serde_json::from_slice(&entry.value).map_err(|source| LeaseError::Decode {
                name: name.to_owned(),
                source,
            })?;
        Ok(Some(record.info(entry.revision)))
    }
}

/// The `max_age` of `bucket`'s stream, or `None` when the bucket does not exist yet.
async fn existing_max_age(
    js: &jetstream::Context,
    bucket: &str,
) -> Result<Option<Duration>, LeaseError> {
    match js.get_stream(format!("KV_{bucket}")).await {
        Ok(stream) => {
            let age = stream.cached_info().config.max_age;
            Ok((!age.is_zero()).then_some(age))
        }
        Err(e)
            if matches!(e.kind(), GetStreamErrorKind::JetStream(ref j)
                if j.error_code() == ErrorCode::STREAM_NOT_FOUND) =>
        {
            Ok(None)
        }
        Err(source) => Err(LeaseError::Inspect {
            bucket: bucket.to_owned(),
            source,
        }),
    }
}

fn check_name(name: &str) -> Result<(), LeaseError> {
    if is_valid_key(name) {
        Ok(())
    } else {
        Err(LeaseError::InvalidName {
            name: name.to_owned(),
        })
    }
}
