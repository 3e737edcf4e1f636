//! Settling one message after its handler: ack, Nak with a delay (the policy's or the
//! handler's), or park then Term.

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
        Outcome::Ack => match message.double_ack().await {
            Ok(()) => tracing::debug!(subject, seq, delivered, outcome = "ack", "handled"),
            Err(error) => tracing::warn!(
                subject, seq, delivered, %error,
                "ack not confirmed; the message may be redelivered"
            ),
        },
        Outcome::Retry { reason } => {
            let delay = policy.delay(delivered);
            retry(message, delivery, delay, &reason, "retry", shared).await;
        }
        Outcome::RetryAfter { delay, reason } => {
            let delay = policy.capped(delay);
            retry(message, delivery, delay, &reason, "retry_after", shared).await;
        }
        Outcome::Park { reason } => park(message, delivery, &reason, shared).await,
    }
}

/// Nak with `delay`, or park once the policy's deliveries are used up.
async fn retry(
    message: &jetstream::Message,
    delivery: &Delivery,
    delay: Duration,
    reason: &str,
    outcome: &'static str,
    shared: &Shared,
) {
    let (subject, seq, delivered) = (
        delivery.subject(),
        delivery.stream_sequence(),
        delivery.delivered(),
    );
    if shared.policy.exhausted(delivered) {
        let reason = format!("retries exhausted after {delivered} deliveries: {reason}");
        park(message, delivery, &reason, shared).await;
        return;
    }
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
            let delay = shared.policy.delay(delivered);
            tracing::error!(
                subject, seq, delivered, %reason, %error, ?delay,
                "could not park; will retry parking"
            );
            let _ = message.ack_with(AckKind::Nak(Some(delay))).await;
        }
    }
}
