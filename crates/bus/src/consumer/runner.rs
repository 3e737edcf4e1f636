//! [`run_consumer`]: pull batches, run handlers concurrently, settle each message.

use std::{
    panic::AssertUnwindSafe,
    sync::Arc,
    time::{Duration, SystemTime},
};

use async_nats::jetstream::{
    self, AckKind,
    consumer::{FromConsumer, PullConsumer},
};
use futures::{FutureExt, StreamExt};
use tokio::{sync::Semaphore, task::JoinSet, time::Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{
    ConsumerHealth, ConsumerMetrics, Delivery, Handler, Outcome, RetryPolicy, settle::settle,
    shared::Shared,
};
use crate::{DeadLetters, trace};

/// Knobs of [`run_consumer`].
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Retry and parking policy.
    pub policy: RetryPolicy,
    /// Handlers running at once (≥ 1). Each pull asks for as many messages as there are free
    /// slots, so nothing waits in a client-side buffer while its ack timer runs.
    pub concurrency: usize,
    /// How long one pull request waits for messages before the loop issues the next one
    /// (shutdown does not wait for it).
    pub pull_expires: Duration,
    /// Set by the loop: whether its pulls work (false while the consumer or its stream is
    /// missing or NATS is unreachable). Register it as a readiness check.
    pub health: ConsumerHealth,
    /// Where settled messages are counted by outcome (`None`: nowhere).
    pub metrics: Option<ConsumerMetrics>,
}

impl RunOptions {
    /// `policy` and `concurrency` with a 2 s pull expiry and a fresh health flag.
    pub fn new(policy: RetryPolicy, concurrency: usize) -> Self {
        Self {
            policy,
            concurrency,
            pull_expires: Duration::from_secs(2),
            health: ConsumerHealth::default(),
            metrics: None,
        }
    }
}

/// Runs `handler` on the messages of `consumer` until `shutdown` is cancelled.
///
/// Per message: `Ack` → ack and wait for the server's confirmation; `Retry` → Nak with
/// [`RetryPolicy::delay`], or park once [`RetryPolicy::exhausted`]; `RetryAfter` → Nak with
/// [`RetryPolicy::capped`] of its delay, or park likewise; `Park` → publish to
/// `DEAD_LETTERS` and Term only after its PubAck (if parking fails the message is Nak'ed and
/// parked on a later delivery). A handler running longer than `ack_wait / 2` sends progress
/// heartbeats. A panicking handler counts as `Retry`. A message delivered more than
/// `max_deliveries` times (its handler crashed the process or never finished) is parked
/// without running the handler again.
///
/// When pulls fail (NATS down, the consumer deleted, its stream deleted and re-created), the
/// loop backs off and re-creates the durable consumer from its own configuration as soon as the
/// stream exists again; a new consumer starts at the beginning of the stream, so whatever
/// arrived meanwhile is processed. [`RunOptions::health`] is false until pulls work again.
///
/// On shutdown it stops pulling at once (an idle pull is abandoned, not waited out: dropping
/// its subscription withdraws the server's interest, so the server no longer delivers to it),
/// hands back (plain Nak) messages of the current pull that did not start, waits for running
/// handlers to settle, and returns. It waits for handlers however long they take, so wrap the
/// call in a grace timeout shorter than the pod's. Pull errors (NATS down) are logged and
/// retried with backoff; they never end the loop.
pub async fn run_consumer<H: Handler>(
    mut consumer: PullConsumer,
    handler: Arc<H>,
    dead_letters: DeadLetters,
    options: RunOptions,
    shutdown: CancellationToken,
) {
    let info = consumer.cached_info().clone();
    let shared = Arc::new(Shared {
        policy: options.policy,
        dead_letters,
        ack_wait: info.config.ack_wait,
        consumer: info.name.clone(),
        stream: info.stream_name.clone(),
        metrics: options.metrics.clone(),
    });
    let concurrency = options.concurrency.max(1);
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let mut error_backoff = Duration::from_millis(100);
    tracing::info!(
        consumer = %shared.consumer,
        stream = %shared.stream,
        concurrency,
        "consumer started"
    );

    while !shutdown.is_cancelled() {
        let free = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            slot = slots.acquire() => match slot {
                Ok(slot) => {
                    drop(slot);
                    slots.available_permits().max(1)
                }
                Err(_closed) => break,
            },
        };
        while tasks.try_join_next().is_some() {}

        let mut failed = false;
        match consumer
            .batch()
            .max_messages(free)
            .expires(options.pull_expires)
            .messages()
            .await
        {
            Ok(mut batch) => loop {
                let item = tokio::select! {
                    biased;
                    () = shutdown.cancelled() => {
                        hand_back_buffered(&mut batch).await;
                        break;
                    }
                    item = batch.next() => item,
                };
                let Some(item) = item else { break };
                let message = match item {
                    Ok(message) => {
                        options.health.set(true);
                        message
                    }
                    Err(error) => {
                        tracing::warn!(consumer = %shared.consumer, %error, "pull failed");
                        failed = true;
                        break;
                    }
                };
                if shutdown.is_cancelled() {
                    // Not started: give it back at once so another replica takes it.
                    let _ = message.ack_with(AckKind::Nak(None)).await;
                    continue;
                }
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let handler = Arc::clone(&handler);
                let shared = Arc::clone(&shared);
                tasks.spawn(async move {
                    process(message, handler.as_ref(), &shared).await;
                    drop(slot);
                });
            },
            Err(error) => {
                tracing::warn!(consumer = %shared.consumer, %error, "pull request failed");
                failed = true;
            }
        }
        if failed {
            options.health.set(false);
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(error_backoff) => {}
            }
            error_backoff = (error_backoff * 2).min(Duration::from_secs(5));
            if let Some(again) = recreate(&shared, &info.config).await {
                consumer = again;
            }
        } else {
            options.health.set(true);
            error_backoff = Duration::from_millis(100);
        }
    }

    while tasks.try_join_next().is_some() {}
    let in_flight = tasks.len();
    tracing::info!(consumer = %shared.consumer, in_flight, "consumer stopping");
    while tasks.join_next().await.is_some() {}
    tracing::info!(consumer = %shared.consumer, "consumer stopped");
}

/// After a failed pull: makes sure the durable consumer exists (re-created with its last known
/// configuration when it or its stream vanished). `None` while the stream or NATS is away.
async fn recreate(shared: &Shared, config: &jetstream::consumer::Config) -> Option<PullConsumer> {
    let js = shared.dead_letters.context();
    let stream = js.get_stream_no_info(&shared.stream).await.ok()?;
    let pull = match <jetstream::consumer::pull::Config as FromConsumer>::try_from_consumer_config(
        config.clone(),
    ) {
        Ok(pull) => pull,
        Err(error) => {
            tracing::error!(consumer = %shared.consumer, %error, "cannot rebuild the consumer config");
            return None;
        }
    };
    match stream.get_or_create_consumer(&shared.consumer, pull).await {
        Ok(consumer) => Some(consumer),
        Err(error) => {
            tracing::debug!(consumer = %shared.consumer, %error, "consumer not (re-)created yet");
            None
        }
    }
}

/// On shutdown: hands back (plain Nak) the messages of `batch` already received but not
/// started, so another replica takes them at once. Dropping the batch afterwards withdraws the
/// pull's interest; a message the server sent in the instant before that is redelivered after
/// `ack_wait`, never lost.
async fn hand_back_buffered(batch: &mut jetstream::consumer::pull::Batch) {
    while let Some(Some(item)) = batch.next().now_or_never() {
        if let Ok(message) = item {
            let _ = message.ack_with(AckKind::Nak(None)).await;
        }
    }
}

async fn process<H: Handler>(message: jetstream::Message, handler: &H, shared: &Shared) {
    let (stream_sequence, delivered, published) = match message.info() {
        Ok(info) => (
            info.stream_sequence,
            u64::try_from(info.delivered).unwrap_or(1).max(1),
            info.published,
        ),
        Err(error) => {
            tracing::error!(subject = %message.subject, %error, "not a JetStream message");
            return;
        }
    };
    let span = tracing::info_span!(
        "consume",
        otel.kind = "consumer",
        subject = %message.subject,
        stream = %shared.stream,
        consumer = %shared.consumer,
        seq = stream_sequence,
        delivered,
        outcome = tracing::field::Empty,
    );
    trace::continue_trace(&span, message.headers.as_ref());
    let delivery = Delivery {
        subject: message.subject.to_string(),
        payload: message.payload.clone(),
        headers: message.headers.clone().unwrap_or_default(),
        stream: shared.stream.clone(),
        stream_sequence,
        delivered,
        published: Some(SystemTime::from(published)),
        span: span.clone(),
    };
    async {
        let outcome = if delivered > shared.policy.max_deliveries.max(1) {
            Outcome::park(format!(
                "delivered {delivered} times without an outcome (handler crashed or hung?)"
            ))
        } else {
            run_handler(&message, handler, &delivery, shared.ack_wait).await
        };
        tracing::Span::current().record("outcome", outcome.label());
        if let Some(metrics) = &shared.metrics {
            metrics.settled(outcome.label());
        }
        settle(&message, &delivery, outcome, shared).await;
    }
    .instrument(span)
    .await;
}

/// Runs the handler, sending `+WPI` every `ack_wait / 2` so a long handler keeps the message.
async fn run_handler<H: Handler>(
    message: &jetstream::Message,
    handler: &H,
    delivery: &Delivery,
    ack_wait: Duration,
) -> Outcome {
    let work = AssertUnwindSafe(handler.handle(delivery)).catch_unwind();
    tokio::pin!(work);
    let beat = (ack_wait / 2).max(Duration::from_millis(10));
    let mut heartbeat = tokio::time::interval_at(Instant::now() + beat, beat);
    loop {
        tokio::select! {
            result = &mut work => {
                return result.unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Outcome::retry(format!("handler panicked: {what}"))
                });
            }
            _ = heartbeat.tick() => {
                if let Err(error) = message.ack_with(AckKind::Progress).await {
                    tracing::warn!(%error, "progress heartbeat failed");
                }
            }
        }
    }
}
