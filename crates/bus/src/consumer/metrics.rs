//! [`ConsumerMetrics`]: what a consumer service's `/metrics` says about its durable consumer:
//! messages by outcome (counted by the loop), and lag, unacked, redelivered and parked
//! messages (sampled from the server by [`ConsumerMetrics::sample`]).

use std::sync::Arc;

use async_nats::jetstream;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::DeadLetters;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// The consumer's metrics. Cheap to clone.
///
/// | metric | kind | meaning |
/// |---|---|---|
/// | `consumer_messages_total{outcome}` | counter | messages settled by this replica: `ack`, `retry`, `retry_after`, `park` |
/// | `consumer_pending_messages` | gauge | messages in the stream not yet delivered to the consumer (lag) |
/// | `consumer_ack_pending_messages` | gauge | delivered, not yet acknowledged (all replicas) |
/// | `consumer_redelivered_messages` | gauge | delivered more than once and not yet acknowledged |
/// | `consumer_dead_letter_messages` | gauge | messages this consumer parked in `DEAD_LETTERS` |
#[derive(Clone, Debug)]
pub struct ConsumerMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    outcomes: Family<OutcomeLabel, Counter>,
    pending: Gauge,
    ack_pending: Gauge,
    redelivered: Gauge,
    dead_letters: Gauge,
}

impl ConsumerMetrics {
    /// Creates the metrics and registers them in `registry` (under its prefix).
    pub fn register(registry: &mut Registry) -> Self {
        let inner = Inner::default();
        for outcome in ["ack", "retry", "retry_after", "park"] {
            let _ = inner.outcomes.get_or_create(&OutcomeLabel { outcome });
        }
        registry.register(
            "consumer_messages",
            "Messages settled by this replica, by outcome",
            inner.outcomes.clone(),
        );
        registry.register(
            "consumer_pending_messages",
            "Messages in the stream not yet delivered to the consumer (lag)",
            inner.pending.clone(),
        );
        registry.register(
            "consumer_ack_pending_messages",
            "Messages delivered and not yet acknowledged (all replicas)",
            inner.ack_pending.clone(),
        );
        registry.register(
            "consumer_redelivered_messages",
            "Messages delivered more than once and not yet acknowledged",
            inner.redelivered.clone(),
        );
        registry.register(
            "consumer_dead_letter_messages",
            "Messages this consumer parked in DEAD_LETTERS",
            inner.dead_letters.clone(),
        );
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Counts one settled message.
    pub(crate) fn settled(&self, outcome: &'static str) {
        self.inner
            .outcomes
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }

    /// Messages settled with `outcome` by this replica so far.
    pub fn settled_count(&self, outcome: &'static str) -> u64 {
        self.inner
            .outcomes
            .get_or_create(&OutcomeLabel { outcome })
            .get()
    }

    /// Reads the consumer's state and its dead-letter count from the server and updates the
    /// gauges. `Err` says why it could not (the consumer or stream is missing, NATS is away),
    /// so it doubles as a readiness probe.
    pub async fn sample(
        &self,
        js: &jetstream::Context,
        stream: &str,
        consumer: &str,
    ) -> Result<(), String> {
        let handle = js
            .get_stream_no_info(stream)
            .await
            .map_err(|e| format!("stream {stream}: {e}"))?;
        let info = handle
            .consumer_info(consumer)
            .await
            .map_err(|e| format!("consumer {consumer} on {stream}: {e}"))?;
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.inner.pending.set(gauge(info.num_pending));
        self.inner.ack_pending.set(gauge(
            u64::try_from(info.num_ack_pending).unwrap_or(u64::MAX),
        ));
        self.inner.redelivered.set(gauge(
            u64::try_from(info.num_redelivered).unwrap_or(u64::MAX),
        ));
        // A missing dead-letter stream leaves the last value: it is not this consumer's health.
        if let Ok(parked) = DeadLetters::new(js.clone()).count_for(consumer).await {
            self.inner.dead_letters.set(gauge(parked));
        }
        Ok(())
    }
}
