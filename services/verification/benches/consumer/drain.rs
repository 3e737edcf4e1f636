//! Knowing when a burst is done without loading the consumer under test: JetStream consumer
//! info is polled (cheap, answered by nats-server) and the database is asked only once the
//! consumers have nothing pending or unacknowledged; then, for penny, the harness waits for the
//! outbox relay to publish the events the burst caused, so their CPU counts too.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use futures::StreamExt as _;
use tokio::time::Instant;

/// Consumer-info probe interval.
const POLL: Duration = Duration::from_millis(20);

/// Whether every durable consumer on `PLAID_WEBHOOKS` (at least one) has nothing pending and
/// nothing unacknowledged. Each drain starts on a fresh stream, so its consumers are those of
/// the consumer under test, whatever their names.
async fn consumers_drained(js: &jetstream::Context) -> bool {
    let Ok(stream) = js.get_stream(penny_bus::PLAID_WEBHOOKS).await else {
        return false;
    };
    let mut names = stream.consumer_names();
    let mut any = false;
    while let Some(name) = names.next().await {
        let Ok(name) = name else { return false };
        match stream.consumer_info(&name).await {
            Ok(info) if info.num_pending == 0 && info.num_ack_pending == 0 => any = true,
            _ => return false,
        }
    }
    any
}

/// Waits until the consumers drained and `done` says all `n` are stored (asked at most every
/// 200 ms); fails after `timeout` with what `done` last said.
pub async fn wait<F, Fut>(
    js: &jetstream::Context,
    n: usize,
    timeout: Duration,
    mut done: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<i64>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_db = Instant::now() - Duration::from_secs(1);
    let mut stored = 0;
    loop {
        if consumers_drained(js).await && last_db.elapsed() >= Duration::from_millis(200) {
            last_db = Instant::now();
            stored = done().await?;
            if stored >= n as i64 {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "not drained after {timeout:?}: {stored} of {n} stored (consumers drained: {})",
                consumers_drained(js).await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Messages in `stream` (0 when it does not exist).
pub async fn stream_messages(js: &jetstream::Context, stream: &str) -> u64 {
    match js.get_stream(stream).await {
        Ok(mut s) => s.info().await.map_or(0, |i| i.state.messages),
        Err(_) => 0,
    }
}

/// Waits (up to `timeout`) until `stream` holds at least `at_least` messages: the outbox relay
/// has published the events the burst caused.
pub async fn wait_stream_reaches(
    js: &jetstream::Context,
    stream: &str,
    at_least: u64,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = stream_messages(js, stream).await;
        if now >= at_least {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(anyhow::anyhow!("{stream} holds {now}, expected {at_least}"))
                .context("the outbox relay did not publish every event");
        }
        tokio::time::sleep(POLL).await;
    }
}
