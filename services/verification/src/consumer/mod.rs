//! The webhook consumer: one durable JetStream pull consumer on `plaid.webhook.AUTH.>` and
//! `plaid.webhook.ITEM.>`, shared by all replicas. [`WebhookHandler::handle`] is one step
//! (tests call it directly); `penny_bus::run_consumer_with` is the loop, acking only after the
//! handler returns [`Outcome::Ack`], i.e. after the transaction committed.
//!
//! Outcomes:
//! - applied, ignored by the state machine, unhandled code, or already processed (the same
//!   stream message, or the same body received within the dedupe window) → `Ack`;
//! - `PRODUCT_NOT_READY`, Plaid 429/5xx/timeouts, a concurrent change, a database or NATS
//!   failure, and an Item whose exchange has not committed yet → `Retry` (Nak with jittered
//!   backoff from the delivery count; parked when retries run out);
//! - the shared `/auth/get` budget spent → `RetryAfter` the time until the next unit frees up
//!   (plus a little jitter, so replicas do not all come back in the same instant). The handler
//!   never waits for budget itself: a waiting handler would hold a consumer slot, the Item lock
//!   and the message for up to a minute.
//! - malformed bodies, unknown accounts of a known Item, other Plaid errors → `Park`.

pub mod route;

use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, Utc};
use penny_bus::{Delivery, Handler, Outcome};
use penny_plaid::webhook::Webhook;
use rand::Rng as _;
use sha2::{Digest, Sha256};

use crate::verifier::{ChangeRequest, Verifier, VerifierError, WebhookRef};
use route::Route;

/// Subjects the consumer receives.
pub fn filter_subjects() -> Vec<String> {
    vec![
        penny_bus::webhook_type_filter("AUTH"),
        penny_bus::webhook_type_filter("ITEM"),
    ]
}

/// The dedupe key of a webhook: the SHA-256 of its body, as ingress computes its `Nats-Msg-Id`.
/// (The body, not the header: a redriven dead letter has no `Nats-Msg-Id`, and Plaid's retries
/// of one webhook carry the same bytes.) It counts together with the stream sequence and the
/// receipt time (see [`Verifier::duplicate_of`]).
pub fn dedupe_key(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// When the webhook was received: ingress's `Penny-Received-At`, else when the stream stored
/// the message, else now (a direct call). Stable across redeliveries.
pub fn received_at(delivery: &Delivery) -> DateTime<Utc> {
    delivery
        .header(penny_bus::HDR_RECEIVED_AT)
        .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| delivery.published().map(DateTime::<Utc>::from))
        .unwrap_or_else(Utc::now)
        .trunc_subsecs(6)
}

/// Handles AUTH and ITEM webhooks.
#[derive(Clone, Debug)]
pub struct WebhookHandler {
    verifier: Verifier,
}

impl WebhookHandler {
    /// A handler applying webhooks through `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }

    #[tracing::instrument(
        name = "verification.webhook",
        skip_all,
        fields(
            subject = %delivery.subject(),
            seq = delivery.stream_sequence(),
            delivered = delivery.delivered(),
            webhook_type = tracing::field::Empty,
            webhook_code = tracing::field::Empty,
            item_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
        )
    )]
    async fn handle_delivery(&self, delivery: &Delivery) -> Outcome {
        let outcome = self.decide(delivery).await;
        let span = tracing::Span::current();
        span.record("outcome", outcome.label());
        match &outcome {
            Outcome::Ack => {}
            Outcome::Retry { reason } => tracing::info!(%reason, "webhook will be retried"),
            Outcome::RetryAfter { delay, reason } => {
                tracing::info!(%reason, ?delay, "webhook will be retried after the delay");
            }
            Outcome::Park { reason } => tracing::warn!(%reason, "webhook parked"),
        }
        outcome
    }

    async fn decide(&self, delivery: &Delivery) -> Outcome {
        let body = delivery.payload();
        let key = dedupe_key(body);
        let stream_sequence =
            (delivery.stream_sequence() > 0).then_some(delivery.stream_sequence());
        let received_at = received_at(delivery);
        match self
            .verifier
            .duplicate_of(&key, stream_sequence, received_at)
            .await
        {
            Ok(Some(first)) => {
                tracing::info!(
                    dedupe_key = %key,
                    first_seq = first.stream_sequence,
                    first_received_at = %first.received_at,
                    "duplicate webhook: already processed"
                );
                return Outcome::Ack;
            }
            Ok(None) => {}
            Err(e) => return Outcome::retry(format!("reading the webhook log: {e:#}")),
        }
        let webhook = match Webhook::parse(body) {
            Ok(w) => w,
            Err(e) => return Outcome::park(e.to_string()),
        };
        let span = tracing::Span::current();
        span.record("webhook_type", webhook.webhook_type.as_str());
        span.record("webhook_code", webhook.webhook_code.as_str());
        if let Some(item_id) = &webhook.item_id {
            span.record("item_id", item_id.as_str());
        }
        let event = match webhook.event() {
            Ok(event) => event,
            Err(e) => return Outcome::park(e.to_string()),
        };
        let webhook_ref = WebhookRef {
            dedupe_key: key,
            webhook_type: webhook.webhook_type.clone(),
            webhook_code: webhook.webhook_code.clone(),
            account_id: webhook.account_id.clone(),
            stream_sequence,
            received_at,
        };
        match route::route(&event) {
            Route::Unhandled(reason) => {
                tracing::info!(%reason, "webhook not acted on");
                match self
                    .verifier
                    .record_unhandled(&webhook_ref, webhook.item_id.as_deref(), reason)
                    .await
                {
                    Ok(()) => Outcome::Ack,
                    Err(e) => Outcome::retry(format!("recording the webhook: {e:#}")),
                }
            }
            Route::Apply {
                item_id,
                target,
                event,
            } => {
                let request = ChangeRequest {
                    item_id,
                    target,
                    event,
                    cause: format!("{}/{}", webhook.webhook_type, webhook.webhook_code),
                    webhook: Some(webhook_ref),
                    plaid_status: None,
                };
                match self.verifier.apply(&request).await {
                    Ok(report) => {
                        tracing::info!(
                            applied = report.applied.len(),
                            ignored = report.ignored.len(),
                            "webhook processed"
                        );
                        Outcome::Ack
                    }
                    Err(e) => outcome_of(e),
                }
            }
        }
    }
}

impl Handler for WebhookHandler {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        self.handle_delivery(delivery).await
    }
}

/// The outcome for a failed change.
pub fn outcome_of(error: VerifierError) -> Outcome {
    match error {
        VerifierError::Duplicate => Outcome::Ack,
        VerifierError::ItemNotFound(id) => Outcome::retry(format!(
            "item {id} not known (yet): its exchange may not have committed"
        )),
        VerifierError::Plaid { call, source } => {
            let code = source.error_code().unwrap_or_default().to_owned();
            if source.is_retryable()
                || source.is_product_not_ready()
                || code == "ITEM_LOGIN_REQUIRED"
            {
                // ITEM_LOGIN_REQUIRED on /auth/get: the user may repair the Item; retry until
                // the retries run out, then the dead letter says why.
                Outcome::retry(format!("Plaid {call}: {source}"))
            } else {
                Outcome::park(format!("Plaid {call}: {source}"))
            }
        }
        VerifierError::RateLimited { retry_after } => {
            let delay = retry_after + rate_limit_jitter(retry_after);
            Outcome::retry_after(
                delay,
                format!("Plaid rate-limit budget spent; next unit in {retry_after:?}"),
            )
        }
        e @ (VerifierError::Conflict | VerifierError::ExchangeInProgress) => {
            Outcome::retry(e.to_string())
        }
        VerifierError::Internal(e) => Outcome::retry(format!("{e:#}")),
        e @ (VerifierError::AccountNotFound(_)
        | VerifierError::NotVerified { .. }
        | VerifierError::NumbersMissing(_)
        | VerifierError::Revoked(_)
        | VerifierError::GoneAtPlaid(_)
        | VerifierError::UserMismatch) => Outcome::park(e.to_string()),
    }
}

/// Up to a tenth of `wait` (between 50 ms and 1 s) of random extra delay: the messages that
/// found the budget spent come back spread out rather than all at the slot boundary.
fn rate_limit_jitter(wait: Duration) -> Duration {
    let ceiling = (wait / 10).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(1000);
    Duration::from_millis(rand::rng().random_range(0..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spent_budget_retries_after_the_wait_plus_a_little_jitter() {
        let wait = Duration::from_secs(40);
        for _ in 0..50 {
            let outcome = outcome_of(VerifierError::RateLimited { retry_after: wait });
            let Outcome::RetryAfter { delay, reason } = outcome else {
                panic!("{outcome:?}");
            };
            assert!(
                delay >= wait && delay <= wait + Duration::from_secs(1),
                "{delay:?}"
            );
            assert!(reason.contains("rate-limit"), "{reason}");
        }
        let short = Duration::from_millis(100);
        let delays: std::collections::HashSet<Duration> = (0..50)
            .map(
                |_| match outcome_of(VerifierError::RateLimited { retry_after: short }) {
                    Outcome::RetryAfter { delay, .. } => delay,
                    other => panic!("{other:?}"),
                },
            )
            .collect();
        assert!(
            delays
                .iter()
                .all(|d| *d >= short && *d <= short + Duration::from_millis(50))
        );
        assert!(delays.len() > 1, "jittered");
    }

    #[test]
    fn other_transient_failures_use_the_policy_backoff() {
        assert!(matches!(
            outcome_of(VerifierError::Conflict),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            outcome_of(VerifierError::ItemNotFound("i".into())),
            Outcome::Retry { .. }
        ));
    }
}
