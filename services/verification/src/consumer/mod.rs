//! The webhook consumers, two durable JetStream pull consumers shared by all replicas:
//!
//! - the *numbers* consumer on the webhooks that call `/auth/get` ([`numbers_subjects`]): it
//!   spends the shared Plaid budget, and when the budget is spent it hands each webhook back with
//!   its turn (see `penny_bus::kv::RateLimiter::acquire_or_queue`);
//! - the *prompt* consumer on every other AUTH and ITEM webhook ([`filter_subjects`]): an
//!   expiry or a login-required is never stuck behind thousands of verifications waiting for
//!   budget.
//!
//! [`WebhookHandler::handle`] is one step (tests call it directly); `penny_bus::run_consumer` is
//! the loop, acking only after the handler returns [`Outcome::Ack`], i.e. after the transaction
//! committed.
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

use chrono::{DateTime, SubsecRound as _, Utc};
use penny_bus::{Delivery, Handler, Outcome};
use penny_plaid::webhook::Webhook;
use sha2::{Digest, Sha256};
use tracing::Instrument as _;

use crate::verifier::{ChangeRequest, Verifier, VerifierError, WebhookRef};
use route::Route;

/// Subjects the prompt consumer receives: every ITEM webhook and the AUTH codes that need no
/// Plaid call. (A JetStream filter cannot say "AUTH except these", so the AUTH codes are
/// listed: an AUTH code penny does not know yet is consumed by neither and stays in the stream,
/// where a replay reaches it once penny knows it.)
pub fn filter_subjects() -> Vec<String> {
    vec![
        penny_bus::webhook_type_filter("ITEM"),
        penny_bus::webhook_subject("AUTH", "VERIFICATION_EXPIRED"),
    ]
}

/// Subjects of webhooks that call `/auth/get`, handled by the numbers consumer under the shared
/// budget, so that no other webhook ever waits behind them.
pub fn numbers_subjects() -> Vec<String> {
    [
        "AUTOMATICALLY_VERIFIED",
        "DEFAULT_UPDATE",
        "SMS_MICRODEPOSITS_VERIFICATION",
    ]
    .into_iter()
    .map(|code| penny_bus::webhook_subject("AUTH", code))
    .collect()
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

/// Handles AUTH and ITEM webhooks (both consumers run the same step on their subjects).
#[derive(Clone, Debug)]
pub struct WebhookHandler {
    verifier: Verifier,
}

impl WebhookHandler {
    /// A handler applying webhooks through `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }

    /// Reads one delivery into what to do with it, in its own `verification.webhook` span (a
    /// child of the delivery's `consume` span).
    fn prepare(&self, delivery: &Delivery) -> (tracing::Span, Prepared) {
        let span = tracing::info_span!(
            parent: delivery.span(),
            "verification.webhook",
            subject = %delivery.subject(),
            seq = delivery.stream_sequence(),
            delivered = delivery.delivered(),
            webhook_type = tracing::field::Empty,
            webhook_code = tracing::field::Empty,
            item_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let prepared = span.in_scope(|| prepare(delivery, &span));
        (span, prepared)
    }

    /// Acts on one prepared webhook that needs no change (or cannot be read).
    async fn settle_alone(&self, prepared: Prepared) -> Outcome {
        match prepared {
            Prepared::Done(outcome) => outcome,
            Prepared::Unhandled {
                webhook,
                item_id,
                reason,
            } => {
                tracing::info!(%reason, "webhook not acted on");
                match self
                    .verifier
                    .record_unhandled(&webhook, item_id.as_deref(), reason)
                    .await
                {
                    Ok(()) | Err(VerifierError::Duplicate) => Outcome::Ack,
                    Err(e) => Outcome::retry(format!("recording the webhook: {e:#}")),
                }
            }
            Prepared::Apply(request) => match self.verifier.apply(&request).await {
                Ok(report) => applied(&report),
                Err(e) => outcome_of(e),
            },
        }
    }
}

/// What one webhook asks for, once read.
enum Prepared {
    /// Nothing more to do: this outcome (e.g. parked: the body cannot be read).
    Done(Outcome),
    /// A code this service does not act on: record it.
    Unhandled {
        webhook: WebhookRef,
        item_id: Option<String>,
        reason: String,
    },
    /// A change to apply.
    Apply(ChangeRequest),
}

/// Reads `delivery` (its fields recorded on `span`).
fn prepare(delivery: &Delivery, span: &tracing::Span) -> Prepared {
    let body = delivery.payload();
    let stream_sequence = (delivery.stream_sequence() > 0).then_some(delivery.stream_sequence());
    let webhook = match Webhook::parse(body) {
        Ok(w) => w,
        Err(e) => return Prepared::Done(Outcome::park(e.to_string())),
    };
    span.record("webhook_type", webhook.webhook_type.as_str());
    span.record("webhook_code", webhook.webhook_code.as_str());
    if let Some(item_id) = &webhook.item_id {
        span.record("item_id", item_id.as_str());
    }
    let event = match webhook.event() {
        Ok(event) => event,
        Err(e) => return Prepared::Done(Outcome::park(e.to_string())),
    };
    let webhook_ref = WebhookRef {
        dedupe_key: dedupe_key(body),
        webhook_type: webhook.webhook_type.clone(),
        webhook_code: webhook.webhook_code.clone(),
        account_id: webhook.account_id.clone(),
        stream_sequence,
        received_at: received_at(delivery),
    };
    match route::route(&event) {
        Route::Unhandled(reason) => Prepared::Unhandled {
            webhook: webhook_ref,
            item_id: webhook.item_id.clone(),
            reason,
        },
        Route::Apply {
            item_id,
            target,
            event,
        } => Prepared::Apply(ChangeRequest {
            item_id,
            target,
            event,
            cause: format!("{}/{}", webhook.webhook_type, webhook.webhook_code),
            webhook: Some(webhook_ref),
            plaid_status: None,
            span: span.clone(),
        }),
    }
}

/// The outcome of an applied change (logged in the current span).
fn applied(report: &crate::verifier::Report) -> Outcome {
    tracing::info!(
        applied = report.applied.len(),
        ignored = report.ignored.len(),
        "webhook processed"
    );
    Outcome::Ack
}

/// Logs `outcome` in `span` and records it there.
fn logged(span: &tracing::Span, outcome: Outcome) -> Outcome {
    span.record("outcome", outcome.label());
    let _entered = span.enter();
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

impl Handler for WebhookHandler {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        let (span, prepared) = self.prepare(delivery);
        let outcome = self.settle_alone(prepared).instrument(span.clone()).await;
        logged(&span, outcome)
    }

    /// A batch: the changes of all its webhooks are applied together (one read, one
    /// transaction; see `Verifier::apply_batch`); the rest one by one.
    async fn handle_batch(&self, deliveries: &[Delivery]) -> Vec<Outcome> {
        let mut spans = Vec::with_capacity(deliveries.len());
        let mut outcomes: Vec<Option<Outcome>> = vec![None; deliveries.len()];
        let mut changes: Vec<(usize, ChangeRequest)> = Vec::new();
        for (i, delivery) in deliveries.iter().enumerate() {
            let (span, prepared) = self.prepare(delivery);
            match prepared {
                Prepared::Apply(request) => changes.push((i, request)),
                other => {
                    outcomes[i] = Some(self.settle_alone(other).instrument(span.clone()).await);
                }
            }
            spans.push(span);
        }
        let requests: Vec<ChangeRequest> = changes.iter().map(|(_, r)| r.clone()).collect();
        let results = self.verifier.apply_batch(&requests).await;
        for ((i, _), result) in changes.iter().zip(results) {
            let _entered = spans[*i].enter();
            outcomes[*i] = Some(match result {
                Ok(report) => applied(&report),
                Err(e) => outcome_of(e),
            });
        }
        outcomes
            .into_iter()
            .zip(&spans)
            .map(|(o, span)| logged(span, o.unwrap_or(Outcome::retry("no outcome"))))
            .collect()
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
        // The wait is the webhook's turn among the waiters (spaced by the limiter): exactly
        // then, not earlier and not jittered, or it would find its unit taken.
        VerifierError::RateLimited { retry_after } => Outcome::retry_after(
            retry_after,
            format!("Plaid rate-limit budget spent; my turn in {retry_after:?}"),
        ),
        e @ (VerifierError::Conflict | VerifierError::ExchangeInProgress) => {
            Outcome::retry(e.to_string())
        }
        VerifierError::Internal(e) => Outcome::retry(format!("{e:#}")),
        e @ (VerifierError::AccountNotFound(_)
        | VerifierError::NotVerified { .. }
        | VerifierError::NumbersMissing(_)
        | VerifierError::Revoked(_)
        | VerifierError::CannotUpdate { .. }
        | VerifierError::GoneAtPlaid(_)
        | VerifierError::UserMismatch) => Outcome::park(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_spent_budget_comes_back_exactly_at_its_turn() {
        for wait in [Duration::from_millis(100), Duration::from_secs(40)] {
            let outcome = outcome_of(VerifierError::RateLimited { retry_after: wait });
            let Outcome::RetryAfter { delay, reason } = outcome else {
                panic!("{outcome:?}");
            };
            assert_eq!(delay, wait);
            assert!(reason.contains("rate-limit"), "{reason}");
        }
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
