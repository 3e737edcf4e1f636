//! Waiting on JetStream: a durable consumer that has handled everything published so far.

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;

use crate::poll_until;

/// How long [`wait_consumer_drained`] waits.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Waits (up to [`DRAIN_TIMEOUT`]) until the durable pull consumer `consumer` on `stream` has
/// nothing pending and nothing unacknowledged: every message published so far was handled.
/// A consumer that does not exist yet counts as not drained.
pub async fn wait_consumer_drained(
    js: &jetstream::Context,
    stream: &str,
    consumer: &str,
) -> anyhow::Result<()> {
    poll_until(DRAIN_TIMEOUT, || async {
        let mut handle = js
            .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(consumer, stream)
            .await
            .ok()?;
        let info = handle.info().await.ok()?;
        (info.num_pending == 0 && info.num_ack_pending == 0).then_some(())
    })
    .await
    .with_context(|| format!("consumer {consumer} on {stream} never drained"))
}
