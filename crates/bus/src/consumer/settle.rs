//! Settling one message after its handler: ack, Nak with a delay (the policy's backoff by
//! failures, or the handler's for a wait), or park then Term.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind};

use super::{Delivery, Outcome, shared::Shared};

/// Acts on `outcome` for `message` (see [`super::run_consumer`]).
pub(super) async fn settle(
    message: &jetstream::Message,
    delivery: &Delivery,
    outcome: Outcome,
    shared: &Shared,
) {
    let (subject, seq, delivered) = (
        delivery.subject(),
        delivery.stream_sequence(),
        delivery.delivered(),
    );
    let policy = &shared.policy;
    match outcome {
        Outcome::Ack => {
            shared.waits.forget(seq);
            match message.double_ack().await {
                Ok(()) => tracing::debug!(subject, seq, delivered, outcome = "ack", "handled"),
                Err(error) => tracing::warn!(
                    subject, seq, delivered, %error,
                    "ack not confirmed; the message may be redelivered"
                ),
            }
        }
        Outcome::Retry { reason } => {
            let failures = shared.failures(seq, delivered);
            if policy.exhausted(failures) {
                let reason = format!(
                    "retries exhausted after {failures} failures ({delivered} deliveries): {reason}"
                );
                park(message, delivery, &reason, shared).await;
                return;
            }
            nak(message, delivery, policy.delay(failures), &reason, "retry").await;
        }
        Outcome::RetryAfter { delay, reason } => {
            if delivered >= policy.max_total_deliveries() {
                let reason = format!("still waiting after {delivered} deliveries: {reason}");
                park(message, delivery, &reason, shared).await;
                return;
            }
            shared.waits.record(seq, policy.cap.saturating_mul(4));
            nak(
                message,
                delivery,
                policy.capped(delay),
                &reason,
                "retry_after",
            )
            .await;
        }
        Outcome::Park { reason } => park(message, delivery, &reason, shared).await,
    }
}

/// Hands `message` back to be redelivered after `delay`.
async fn nak(
    message: &jetstream::Message,
    delivery: &Delivery,
    delay: Duration,
    reason: &str,
    outcome: &'static str,
) {
    let (subject, seq, delivered) = (
        delivery.subject(),
        delivery.stream_sequence(),
        delivery.delivered(),
    );
    tracing::warn!(subject, seq, delivered, %reason, ?delay, outcome, "will retry");
    if let Err(error) = message.ack_with(AckKind::Nak(Some(delay))).await {
        tracing::warn!(subject, seq, %error, "nak failed; redelivery after ack_wait");
    }
}

async fn park(message: &jetstream::Message, delivery: &Delivery, reason: &str, shared: &Shared) {
    let (subject, seq, delivered) = (
        delivery.subject(),
        delivery.stream_sequence(),
        delivery.delivered(),
    );
    match shared
        .dead_letters
        .park(delivery, &shared.consumer, reason)
        .await
    {
        Ok(parked) => {
            shared.waits.forget(seq);
            tracing::error!(
                subject, seq, delivered, %reason,
                dlq_seq = parked.stream_seq,
                outcome = "park",
                "parked in dead letters"
            );
            if let Err(error) = message.double_ack_with(AckKind::Term).await {
                // The copy is safe in DEAD_LETTERS; a redelivery parks it again and the
                // dead-letter msg id makes that second copy a duplicate.
                tracing::warn!(subject, seq, %error, "term not confirmed");
            }
        }
        Err(error) => {
            let delay = shared.policy.delay(shared.failures(seq, delivered));
            tracing::error!(
                subject, seq, delivered, %reason, %error, ?delay,
                "could not park; will retry parking"
            );
            let _ = message.ack_with(AckKind::Nak(Some(delay))).await;
        }
    }
}
