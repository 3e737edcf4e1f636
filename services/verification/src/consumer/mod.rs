//! The webhook consumer: one durable JetStream pull consumer on `plaid.webhook.AUTH.>` and
//! `plaid.webhook.ITEM.>`, shared by all replicas. [`WebhookHandler::handle`] is one step
//! (tests call it directly); `penny_bus::run_consumer_with` is the loop, acking only after the
//! handler returns [`Outcome::Ack`], i.e. after the transaction committed.
//!
//! Outcomes:
//! - applied, ignored by the state machine, unhandled code, or already processed → `Ack`;
//! - `PRODUCT_NOT_READY`, Plaid 429/5xx/timeouts, rate-limit budget spent, a concurrent change,
//!   a database or NATS failure, and an Item whose exchange has not committed yet → `Retry`
//!   (Nak with jittered backoff from the delivery count; parked when retries run out);
//! - malformed bodies, unknown accounts of a known Item, other Plaid errors → `Park`.

pub mod route;

use penny_bus::{Delivery, Handler, Outcome};
use penny_plaid::webhook::Webhook;
use sha2::{Digest, Sha256};

use crate::store::webhooks::{self, ProcessedWebhook, WebhookOutcome};
use crate::store::{self};
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
/// of one webhook carry the same bytes.)
pub fn dedupe_key(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
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
            Outcome::Park { reason } => tracing::warn!(%reason, "webhook parked"),
        }
        outcome
    }

    async fn decide(&self, delivery: &Delivery) -> Outcome {
        let body = delivery.payload();
        let key = dedupe_key(body);
        match webhooks::seen(self.verifier.db(), &key).await {
            Ok(true) => {
                tracing::info!(dedupe_key = %key, "duplicate webhook: already processed");
                return Outcome::Ack;
            }
            Ok(false) => {}
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
            stream_sequence: (delivery.stream_sequence() > 0).then_some(delivery.stream_sequence()),
        };
        match route::route(&event) {
            Route::Unhandled(reason) => self.record_unhandled(&webhook, webhook_ref, reason).await,
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

    async fn record_unhandled(&self, webhook: &Webhook, w: WebhookRef, reason: String) -> Outcome {
        tracing::info!(%reason, "webhook not acted on");
        let row = ProcessedWebhook {
            dedupe_key: w.dedupe_key,
            webhook_type: w.webhook_type,
            webhook_code: w.webhook_code,
            item_id: webhook.item_id.clone(),
            account_id: w.account_id,
            outcome: WebhookOutcome::Unhandled,
            detail: Some(reason),
            stream_sequence: w.stream_sequence,
        };
        match webhooks::record(self.verifier.db(), row, store::now()).await {
            Ok(()) => Outcome::Ack,
            Err(e) if store::is_unique_violation(&e) => Outcome::Ack,
            Err(e) => Outcome::retry(format!("recording the webhook: {e}")),
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
        e @ (VerifierError::RateLimited { .. }
        | VerifierError::Conflict
        | VerifierError::ExchangeInProgress) => Outcome::retry(e.to_string()),
        VerifierError::Internal(e) => Outcome::retry(format!("{e:#}")),
        e @ (VerifierError::AccountNotFound(_)
        | VerifierError::NotVerified { .. }
        | VerifierError::NumbersMissing(_)
        | VerifierError::Revoked(_)
        | VerifierError::GoneAtPlaid(_)
        | VerifierError::UserMismatch) => Outcome::park(e.to_string()),
    }
}
