//! The three JetStream streams penny uses and their settings. [`crate::Topology`] is the one
//! place that decides them; [`ensure_stream`] (create or bring to the wanted settings) is the
//! owner's operation, run by `pennyctl streams apply` and the Helm hook, and
//! [`create_stream_if_missing`] is what a service may do at start on a development machine:
//! create what is absent, never rewrite what another deployment chose.
//!
//! | stream | subjects | retention |
//! |---|---|---|
//! | [`PLAID_WEBHOOKS`] | `plaid.webhook.>` | 8 days, so a week of webhooks can be replayed |
//! | [`PENNY_EVENTS`] | `penny.event.>` | 30 days |
//! | [`DEAD_LETTERS`] | `penny.dlq.>` | 90 days |
//!
//! All use file storage, limits retention and `discard: new`: when a stream is full the
//! publisher gets an error (ingress answers 503 and Plaid retries) instead of the server
//! silently deleting the oldest messages that may not have been consumed yet.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    stream::{Config, DiscardPolicy, RetentionPolicy, StorageType},
};

/// Stream holding the raw Plaid webhooks.
pub const PLAID_WEBHOOKS: &str = "PLAID_WEBHOOKS";
/// Stream holding penny's domain events (protobuf).
pub const PENNY_EVENTS: &str = "PENNY_EVENTS";
/// Stream holding parked (dead-lettered) messages.
pub const DEAD_LETTERS: &str = "DEAD_LETTERS";

const KIB: i64 = 1024;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Tunable limits of one stream. `Default` suits all three streams on a laptop; each
/// `ensure_*` function fills `max_age` with the stream's own default when it is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSettings {
    /// Stop accepting messages beyond this many bytes (discard policy `new`). Default 1 GiB.
    pub max_bytes: i64,
    /// How long messages are kept; `None` = the stream's default (8 / 30 / 90 days).
    pub max_age: Option<Duration>,
    /// Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate. Default 2 minutes.
    pub duplicate_window: Duration,
    /// Largest message (payload + headers) accepted; `None` = the stream's default
    /// (72 KiB for webhooks and events: 64 KiB of body plus header room; 96 KiB for dead letters).
    pub max_message_size: Option<i32>,
    /// Number of replicas (1 on a single server, 3 in a cluster).
    pub replicas: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024 * KIB,
            max_age: None,
            duplicate_window: Duration::from_secs(120),
            max_message_size: None,
            replicas: 1,
        }
    }
}

/// Why a stream could not be ensured.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Creating or looking up the stream failed.
    #[error("creating stream {stream}: {source}")]
    Create {
        /// Stream name.
        stream: String,
        /// Cause.
        #[source]
        source: async_nats::jetstream::context::CreateStreamError,
    },
    /// The stream exists with other settings and the update was refused (storage type and
    /// retention policy cannot change in place).
    #[error("updating stream {stream}: {source}")]
    Update {
        /// Stream name.
        stream: String,
        /// Cause.
        #[source]
        source: async_nats::jetstream::context::UpdateStreamError,
    },
}

/// Whether `ensure_stream` created, updated or left the stream alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// The stream already had the wanted settings (or was just created with them).
    Unchanged,
    /// The stream existed with other settings and was updated.
    Updated,
}

/// The configuration of [`PLAID_WEBHOOKS`] for `settings`.
pub fn plaid_webhooks_config(settings: &StreamSettings) -> Config {
    config(
        PLAID_WEBHOOKS,
        "raw Plaid webhooks, verified by ingress",
        "plaid.webhook.>",
        settings,
        8 * DAY,
        72 * KIB,
    )
}

/// The configuration of [`PENNY_EVENTS`] for `settings`.
pub fn penny_events_config(settings: &StreamSettings) -> Config {
    config(
        PENNY_EVENTS,
        "penny domain events (protobuf)",
        "penny.event.>",
        settings,
        30 * DAY,
        72 * KIB,
    )
}

/// The configuration of [`DEAD_LETTERS`] for `settings`.
pub fn dead_letters_config(settings: &StreamSettings) -> Config {
    config(
        DEAD_LETTERS,
        "parked messages with the reason, for an operator to list and redrive",
        "penny.dlq.>",
        settings,
        90 * DAY,
        96 * KIB,
    )
}

fn config(
    name: &str,
    description: &str,
    subject: &str,
    settings: &StreamSettings,
    default_max_age: Duration,
    default_max_message_size: i64,
) -> Config {
    Config {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        subjects: vec![subject.to_owned()],
        storage: StorageType::File,
        retention: RetentionPolicy::Limits,
        discard: DiscardPolicy::New,
        max_bytes: settings.max_bytes,
        max_messages: -1,
        max_age: settings.max_age.unwrap_or(default_max_age),
        duplicate_window: settings.duplicate_window,
        max_message_size: settings
            .max_message_size
            .unwrap_or(default_max_message_size as i32),
        num_replicas: settings.replicas.max(1),
        allow_direct: true,
        ..Default::default()
    }
}

/// Creates [`PLAID_WEBHOOKS`] or brings it to `settings`.
pub async fn ensure_plaid_webhooks(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<Ensured, StreamError> {
    ensure_stream(js, plaid_webhooks_config(settings)).await
}

/// Creates [`PENNY_EVENTS`] or brings it to `settings`.
pub async fn ensure_penny_events(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<Ensured, StreamError> {
    ensure_stream(js, penny_events_config(settings)).await
}

/// Creates [`DEAD_LETTERS`] or brings it to `settings`.
pub async fn ensure_dead_letters(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<Ensured, StreamError> {
    ensure_stream(js, dead_letters_config(settings)).await
}

/// Creates the stream, or updates it when a setting penny manages differs (other fields, such
/// as server-added metadata, are kept). Safe to call from every replica at every start.
#[tracing::instrument(skip_all, fields(stream = %wanted.name))]
pub async fn ensure_stream(
    js: &jetstream::Context,
    wanted: Config,
) -> Result<Ensured, StreamError> {
    let stream = js
        .get_or_create_stream(wanted.clone())
        .await
        .map_err(|source| StreamError::Create {
            stream: wanted.name.clone(),
            source,
        })?;
    let current = &stream.cached_info().config;
    if !differs(current, &wanted) {
        return Ok(Ensured::Unchanged);
    }
    let mut merged = current.clone();
    apply_managed(&mut merged, &wanted);
    tracing::info!("stream settings changed, updating");
    js.update_stream(merged)
        .await
        .map_err(|source| StreamError::Update {
            stream: wanted.name.clone(),
            source,
        })?;
    Ok(Ensured::Updated)
}

/// Creates the stream when it does not exist; leaves an existing stream exactly as it is, even
/// when its settings differ from `wanted`. Returns whether it created it.
#[tracing::instrument(level = "debug", skip_all, fields(stream = %wanted.name))]
pub async fn create_stream_if_missing(
    js: &jetstream::Context,
    wanted: Config,
) -> Result<bool, StreamError> {
    if stream_exists(js, &wanted.name).await {
        return Ok(false);
    }
    let name = wanted.name.clone();
    match js.create_stream(wanted).await {
        Ok(_) => {
            tracing::info!("stream created");
            Ok(true)
        }
        // Another process created it in the meantime: fine, it exists.
        Err(_) if stream_exists(js, &name).await => Ok(false),
        Err(source) => Err(StreamError::Create {
            stream: name,
            source,
        }),
    }
}

/// Whether stream `name` exists (a server round trip; `false` also when the server cannot be
/// asked).
pub async fn stream_exists(js: &jetstream::Context, name: &str) -> bool {
    js.get_stream(name).await.is_ok()
}

/// Whether any field penny manages differs between `current` and `wanted`.
fn differs(current: &Config, wanted: &Config) -> bool {
    let mut merged = current.clone();
    apply_managed(&mut merged, wanted);
    merged != *current
}

fn apply_managed(target: &mut Config, wanted: &Config) {
    target.description.clone_from(&wanted.description);
    target.subjects.clone_from(&wanted.subjects);
    target.storage = wanted.storage;
    target.retention = wanted.retention;
    target.discard = wanted.discard;
    target.max_bytes = wanted.max_bytes;
    target.max_messages = wanted.max_messages;
    target.max_age = wanted.max_age;
    target.duplicate_window = wanted.duplicate_window;
    target.max_message_size = wanted.max_message_size;
    target.num_replicas = wanted.num_replicas;
    target.allow_direct = wanted.allow_direct;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let s = StreamSettings::default();
        let w = plaid_webhooks_config(&s);
        assert_eq!(w.subjects, vec!["plaid.webhook.>".to_owned()]);
        assert_eq!(w.max_age, 8 * DAY);
        assert_eq!(w.discard, DiscardPolicy::New);
        assert_eq!(w.storage, StorageType::File);
        assert_eq!(w.duplicate_window, Duration::from_secs(120));
        assert_eq!(penny_events_config(&s).max_age, 30 * DAY);
        assert_eq!(
            dead_letters_config(&s).subjects,
            vec!["penny.dlq.>".to_owned()]
        );
    }

    #[test]
    fn only_managed_fields_count_as_differences() {
        let wanted = penny_events_config(&StreamSettings::default());
        let mut current = wanted.clone();
        current.metadata.insert("_nats.level".into(), "1".into());
        current.max_consumers = -1;
        assert!(!differs(&current, &wanted));
        current.max_bytes = 5;
        assert!(differs(&current, &wanted));
    }
}
