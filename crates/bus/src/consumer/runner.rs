//! [`run_consumer`]: pull batches, run handlers concurrently, settle each message.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::{
    self, AckKind,
    consumer::{FromConsumer, PullConsumer},
};
use futures::{FutureExt, StreamExt};
use tokio::{sync::Semaphore, task::JoinSet};
use tokio_util::sync::CancellationToken;

use super::{
    ConsumerHealth, ConsumerMetrics, Handler, RetryPolicy, shared::Shared, step, waits::Waits,
};
use crate::DeadLetters;

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
    /// Messages handed to [`Handler::handle_batch`] at once (1: each to [`Handler::handle`] on
    /// its own). A batch is what one pull brought, up to this many, gathered for at most
    /// `batch_linger` after its first message.
    pub batch: usize,
    /// How long a batch waits for more messages after its first.
    pub batch_linger: Duration,
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
            batch: 1,
            batch_linger: Duration::from_millis(2),
        }
    }
}

/// Runs `handler` on the messages of `consumer` until `shutdown` is cancelled.
///
/// Per message: `Ack` → ack and wait for the server's confirmation; `Retry` → Nak with
/// [`RetryPolicy::delay`] of its failures so far, or park once [`RetryPolicy::exhausted`];
/// `RetryAfter` → a wait, not a failure: Nak with [`RetryPolicy::capped`] of its delay, or park
/// once [`RetryPolicy::max_total_deliveries`] are used; `Park` → publish to `DEAD_LETTERS`
/// and Term only after its PubAck (if parking fails the message is Nak'ed and parked on a
/// later delivery). A handler running longer than `ack_wait / 2` sends progress heartbeats. A
/// panicking handler counts as `Retry`. A message whose deliveries, less the waits this
/// process handed back, exceed `max_deliveries` (its handler crashed the process or never
/// finished) is parked without running the handler again.
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
        waits: Waits::default(),
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

    // Pull only once half the slots are free: a pull request per message would cost the server
    // and the client more than the message itself.
    let refill = u32::try_from((concurrency / 2).max(1)).unwrap_or(1);
    let batch_size = options.batch.max(1);
    while !shutdown.is_cancelled() {
        let free = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            slot = slots.acquire_many(refill) => match slot {
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
            Ok(mut batch) => {
                let mut group = Vec::with_capacity(batch_size);
                loop {
                    // The first message of a group may take the whole pull; more join it only
                    // while they keep coming (a backlog), for at most the linger.
                    let next = if group.is_empty() {
                        tokio::select! {
                            biased;
                            () = shutdown.cancelled() => {
                                hand_back_buffered(&mut batch).await;
                                break;
                            }
                            item = batch.next() => item,
                        }
                    } else {
                        match tokio::time::timeout(options.batch_linger, batch.next()).await {
                            Ok(item) => item,
                            Err(_lingered) => {
                                dispatch(&mut tasks, &slots, &handler, &shared, &mut group).await;
                                continue;
                            }
                        }
                    };
                    let Some(item) = next else { break };
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
                    group.push(message);
                    if group.len() >= batch_size {
                        dispatch(&mut tasks, &slots, &handler, &shared, &mut group).await;
                    }
                }
                dispatch(&mut tasks, &slots, &handler, &shared, &mut group).await;
            }
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

/// Starts the messages of `group` (a slot each): one task per message, or one for the whole
/// group when it holds more than one message and the loop batches.
async fn dispatch<H: Handler>(
    tasks: &mut JoinSet<()>,
    slots: &Arc<Semaphore>,
    handler: &Arc<H>,
    shared: &Arc<Shared>,
    group: &mut Vec<jetstream::Message>,
) {
    if group.is_empty() {
        return;
    }
    let messages = std::mem::take(group);
    let count = u32::try_from(messages.len()).unwrap_or(u32::MAX);
    let Ok(permits) = Arc::clone(slots).acquire_many_owned(count).await else {
        return;
    };
    let handler = Arc::clone(handler);
    let shared = Arc::clone(shared);
    tasks.spawn(async move {
        if messages.len() == 1 {
            for message in messages {
                step::process_one(message, handler.as_ref(), &shared).await;
            }
        } else {
            step::process_batch(messages, handler.as_ref(), &shared).await;
        }
        drop(permits);
    });
}
