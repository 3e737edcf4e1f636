//! One step of the loop: a received message becomes a [`Delivery`] in its own `consume` span
//! (continuing the publisher's trace), the handler decides while progress heartbeats keep the
//! message, and the outcome is settled. [`process_batch`] does the same for several messages
//! whose handler decides together.

use std::{
    panic::AssertUnwindSafe,
    time::{Duration, SystemTime},
};

use async_nats::jetstream::{self, AckKind};
use futures::FutureExt;
use tokio::time::Instant;
use tracing::Instrument;

use super::{Delivery, Handler, Outcome, settle::settle, shared::Shared};
use crate::trace;

/// A message read into a delivery, with its span.
struct Received {
    message: jetstream::Message,
    delivery: Delivery,
    span: tracing::Span,
}

/// Runs `handler` on one message and settles it.
pub(super) async fn process_one<H: Handler>(
    message: jetstream::Message,
    handler: &H,
    shared: &Shared,
) {
    let Some(received) = receive(message, shared) else {
        return;
    };
    let span = received.span.clone();
    async {
        let outcome = match overdue(&received.delivery, shared) {
            Some(park) => park,
            None => {
                let work = handler.handle(&received.delivery);
                with_heartbeats(
                    std::slice::from_ref(&received.message),
                    work,
                    shared.ack_wait,
                )
                .await
                .unwrap_or_else(panicked)
            }
        };
        finish(&received, outcome, shared).await;
    }
    .instrument(span)
    .await;
}

/// Runs `handler` on several messages at once (one [`Handler::handle_batch`] call) and settles
/// each with its own outcome. Messages delivered too often are parked without running it.
pub(super) async fn process_batch<H: Handler>(
    messages: Vec<jetstream::Message>,
    handler: &H,
    shared: &Shared,
) {
    let mut received: Vec<Received> = Vec::with_capacity(messages.len());
    let mut overdue_ones: Vec<(Received, Outcome)> = Vec::new();
    for message in messages {
        let Some(r) = receive(message, shared) else {
            continue;
        };
        match overdue(&r.delivery, shared) {
            Some(park) => overdue_ones.push((r, park)),
            None => received.push(r),
        }
    }
    let deliveries: Vec<Delivery> = received.iter().map(|r| r.delivery.clone()).collect();
    let held: Vec<jetstream::Message> = received.iter().map(|r| r.message.clone()).collect();
    let outcomes = if deliveries.is_empty() {
        Vec::new()
    } else {
        let work = handler.handle_batch(&deliveries);
        match with_heartbeats(&held, work, shared.ack_wait).await {
            Ok(outcomes) if outcomes.len() == deliveries.len() => outcomes,
            Ok(outcomes) => {
                let reason = format!(
                    "batch handler returned {} outcomes for {} messages",
                    outcomes.len(),
                    deliveries.len()
                );
                vec![Outcome::retry(reason); deliveries.len()]
            }
            Err(panic) => vec![panicked(panic); deliveries.len()],
        }
    };
    let settles = received
        .iter()
        .zip(outcomes)
        .chain(overdue_ones.iter().map(|(r, o)| (r, o.clone())))
        .map(|(r, outcome)| {
            let span = r.span.clone();
            finish(r, outcome, shared).instrument(span)
        });
    futures::future::join_all(settles).await;
}

/// The delivery of `message` in its `consume` span, or `None` when it is not a JetStream
/// message (logged).
fn receive(message: jetstream::Message, shared: &Shared) -> Option<Received> {
    let info = match message.info() {
        Ok(info) => (
            info.stream_sequence,
            u64::try_from(info.delivered).unwrap_or(1).max(1),
            info.published,
        ),
        Err(error) => {
            tracing::error!(subject = %message.subject, %error, "not a JetStream message");
            return None;
        }
    };
    let (stream_sequence, delivered, published) = info;
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
    Some(Received {
        message,
        delivery,
        span,
    })
}

/// `Park` for a message delivered more often than the policy allows without an outcome (its
/// handler crashed the process or hung), which is not run again. The deliveries this process
/// handed back to wait do not count.
fn overdue(delivery: &Delivery, shared: &Shared) -> Option<Outcome> {
    let delivered = delivery.delivered();
    let failures = shared.failures(delivery.stream_sequence(), delivered);
    (failures > shared.policy.max_deliveries.max(1)).then(|| {
        Outcome::park(format!(
            "delivered {delivered} times without an outcome (handler crashed or hung?)"
        ))
    })
}

/// Records and settles `outcome` for one received message (inside its span).
async fn finish(received: &Received, outcome: Outcome, shared: &Shared) {
    received.span.record("outcome", outcome.label());
    if let Some(metrics) = &shared.metrics {
        metrics.settled(outcome.label());
    }
    settle(&received.message, &received.delivery, outcome, shared).await;
}

/// Runs `work`, sending `+WPI` for every message of `held` every `ack_wait / 2` so a long
/// handler keeps its messages; a panic comes back as `Err`.
async fn with_heartbeats<T>(
    held: &[jetstream::Message],
    work: impl Future<Output = T>,
    ack_wait: Duration,
) -> Result<T, Box<dyn std::any::Any + Send>> {
    let work = AssertUnwindSafe(work).catch_unwind();
    tokio::pin!(work);
    let beat = (ack_wait / 2).max(Duration::from_millis(10));
    let mut heartbeat = tokio::time::interval_at(Instant::now() + beat, beat);
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = heartbeat.tick() => {
                for message in held {
                    if let Err(error) = message.ack_with(AckKind::Progress).await {
                        tracing::warn!(%error, "progress heartbeat failed");
                    }
                }
            }
        }
    }
}

/// The outcome of a panicking handler: a retry, saying what it panicked with.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> Outcome {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    Outcome::retry(format!("handler panicked: {what}"))
}
