//! Durable pull consumers, created or updated idempotently.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull},
};

/// The settings of a durable pull consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSpec {
    /// Durable name, shared by all replicas of a service (they split the messages).
    pub durable_name: String,
    /// Subjects it receives (e.g. `plaid.webhook.AUTH.>`); empty = the whole stream.
    pub filter_subjects: Vec<String>,
    /// How long the server waits for an ack before redelivering. The runner sends progress
    /// heartbeats every `ack_wait / 2` while a handler runs.
    pub ack_wait: Duration,
    /// Deliveries after which the server stops redelivering; use
    /// [`crate::RetryPolicy::consumer_max_deliver`] (or -1) so the runner parks first.
    pub max_deliver: i64,
    /// Unacked messages allowed in flight across all replicas; at least
    /// `concurrency × replicas`.
    pub max_ack_pending: i64,
    /// Human description.
    pub description: Option<String>,
}

impl ConsumerSpec {
    /// A spec with ack wait 30 s, unlimited deliveries (the runner parks), 1,000 in flight.
    pub fn new(durable_name: impl Into<String>, filter_subjects: Vec<String>) -> Self {
        Self {
            durable_name: durable_name.into(),
            filter_subjects,
            ack_wait: Duration::from_secs(30),
            max_deliver: -1,
            max_ack_pending: 1000,
            description: None,
        }
    }

    fn config(&self) -> pull::Config {
        let (filter_subject, filter_subjects) = match self.filter_subjects.as_slice() {
            [] => (String::new(), Vec::new()),
            [one] => (one.clone(), Vec::new()),
            many => (String::new(), many.to_vec()),
        };
        pull::Config {
            durable_name: Some(self.durable_name.clone()),
            name: Some(self.durable_name.clone()),
            description: self.description.clone(),
            deliver_policy: DeliverPolicy::All,
            ack_policy: AckPolicy::Explicit,
            ack_wait: self.ack_wait,
            max_deliver: self.max_deliver,
            max_ack_pending: self.max_ack_pending,
            filter_subject,
            filter_subjects,
            ..Default::default()
        }
    }
}

/// Why a consumer could not be ensured.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerSetupError {
    /// The stream does not exist or could not be read.
    #[error("stream {stream}: {source}")]
    Stream {
        /// Stream name.
        stream: String,
        /// Cause.
        #[source]
        source: async_nats::jetstream::context::GetStreamError,
    },
    /// Creating, reading or updating the consumer failed.
    #[error("consumer {consumer} on {stream}: {source}")]
    Consumer {
        /// Stream name.
        stream: String,
        /// Consumer name.
        consumer: String,
        /// Cause.
        #[source]
        source: async_nats::Error,
    },
}

/// Creates the durable pull consumer `spec.durable_name` on `stream`, or updates it when its
/// filters, ack wait, max deliver, max ack pending or description differ. A new consumer starts
/// at the beginning of the stream (deliver policy `all`).
#[tracing::instrument(level = "debug", skip_all, fields(stream = %stream, consumer = %spec.durable_name))]
pub async fn ensure_pull_consumer(
    js: &jetstream::Context,
    stream: &str,
    spec: &ConsumerSpec,
) -> Result<PullConsumer, ConsumerSetupError> {
    let consumer_err = |source: async_nats::Error| ConsumerSetupError::Consumer {
        stream: stream.to_owned(),
        consumer: spec.durable_name.clone(),
        source,
    };
    let handle =
        js.get_stream_no_info(stream)
            .await
            .map_err(|source| ConsumerSetupError::Stream {
                stream: stream.to_owned(),
                source,
            })?;
    let wanted = spec.config();
    let consumer: PullConsumer = handle
        .get_or_create_consumer(&spec.durable_name, wanted.clone())
        .await
        .map_err(|err| consumer_err(err.into()))?;
    let current = &consumer.cached_info().config;
    let same = effective_filters(&current.filter_subject, &current.filter_subjects)
        == effective_filters(&wanted.filter_subject, &wanted.filter_subjects)
        && current.ack_wait == wanted.ack_wait
        && current.max_deliver == wanted.max_deliver
        && current.max_ack_pending == wanted.max_ack_pending
        && current.description == wanted.description;
    if same {
        return Ok(consumer);
    }
    tracing::info!("consumer settings changed, updating");
    handle
        .update_consumer(wanted)
        .await
        .map_err(|err| consumer_err(err.into()))
}

fn effective_filters(single: &str, many: &[String]) -> Vec<String> {
    let mut filters: Vec<String> = if many.is_empty() {
        if single.is_empty() {
            Vec::new()
        } else {
            vec![single.to_owned()]
        }
    } else {
        many.to_vec()
    };
    filters.sort();
    filters
}
