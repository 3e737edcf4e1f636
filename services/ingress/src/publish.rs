//! Publishing accepted webhooks to `PLAID_WEBHOOKS`: the exact bytes received, on
//! `plaid.webhook.<TYPE>.<CODE>`, with routing and trace headers and a `Nats-Msg-Id` chosen so
//! that Plaid's retries of one webhook collapse while repeated "go sync" pokes never do.

use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::header::HeaderName;
use async_nats::jetstream;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use penny_bus::{
    HDR_RECEIVED_AT, HDR_WEBHOOK_CODE, HDR_WEBHOOK_TYPE, PublishError, PublishOutcome, header_safe,
    publish_durable, webhook_subject,
};

use crate::envelope::Envelope;
use crate::error::Rejection;
use crate::log_budget::LogBudget;

/// Webhook types whose bodies are bare, identical pokes ("call /…/event/sync"): each delivery
/// must reach the consumer, so they get a unique message id instead of the body hash.
const POKE_TYPES: [&str; 2] = ["BANK_TRANSFERS", "TRANSFER"];

/// Longest header value copied from the body.
const MAX_HEADER_VALUE: usize = 128;

// Header names built once, not parsed and allocated per webhook.
const WEBHOOK_TYPE: HeaderName = HeaderName::from_static(HDR_WEBHOOK_TYPE);
const WEBHOOK_CODE: HeaderName = HeaderName::from_static(HDR_WEBHOOK_CODE);
const RECEIVED_AT: HeaderName = HeaderName::from_static(HDR_RECEIVED_AT);

/// Publishes accepted webhooks and waits for the stream's acknowledgement.
#[derive(Debug, Clone)]
pub struct Publisher {
    js: jetstream::Context,
    ack_timeout: Duration,
    /// Which publish failures get a log line (all of a burst fail while NATS is down).
    failure_log: Arc<LogBudget>,
}

impl Publisher {
    /// A publisher on `js` waiting at most `ack_timeout` for each PubAck.
    pub fn new(js: jetstream::Context, ack_timeout: Duration) -> Self {
        Self {
            js,
            ack_timeout,
            failure_log: Arc::new(LogBudget::default()),
        }
    }

    /// Publishes `body` (untouched) and returns once the stream acknowledged it.
    pub async fn publish(
        &self,
        envelope: &Envelope<'_>,
        body_sha256: &[u8; 32],
        body: Bytes,
        received_at: DateTime<Utc>,
    ) -> Result<PublishOutcome, Rejection> {
        let subject = webhook_subject(&envelope.webhook_type, &envelope.webhook_code);
        let msg_id = message_id(&envelope.webhook_type, body_sha256);
        let mut headers = HeaderMap::new();
        headers.insert(
            WEBHOOK_TYPE,
            header_safe(&envelope.webhook_type, MAX_HEADER_VALUE),
        );
        headers.insert(
            WEBHOOK_CODE,
            header_safe(&envelope.webhook_code, MAX_HEADER_VALUE),
        );
        headers.insert(
            RECEIVED_AT,
            received_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        );
        // `publish_durable` adds the current span's `traceparent`.
        publish_durable(
            &self.js,
            &subject,
            headers,
            body,
            Some(&msg_id),
            self.ack_timeout,
        )
        .await
        .map_err(|e| {
            if let Some(left_out) = self.failure_log.admit() {
                tracing::warn!(error = %e, %subject, similar_lines_left_out = left_out, "publish failed");
            }
            match e {
                PublishError::Unavailable => Rejection::NatsUnavailable,
                PublishError::Timeout(_) => Rejection::PublishTimeout,
                PublishError::StreamFull(_) => Rejection::StreamFull,
                PublishError::NoStream(_) => Rejection::StreamUnavailable,
                PublishError::TooLarge(_) | PublishError::Other(_) => Rejection::PublishFailed,
            }
        })
    }
}

/// The `Nats-Msg-Id`: a fresh UUIDv7 for poke types, the hex SHA-256 of the body otherwise (a
/// retried delivery of the same webhook has the same bytes and is dropped by the stream).
pub fn message_id(webhook_type: &str, body_sha256: &[u8; 32]) -> String {
    let webhook_type = webhook_type.trim();
    if POKE_TYPES
        .iter()
        .any(|t| t.eq_ignore_ascii_case(webhook_type))
    {
        uuid::Uuid::now_v7().to_string()
    } else {
        hex::encode(body_sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::message_id;

    #[test]
    fn pokes_get_unique_ids_others_the_body_hash() {
        let sha = [7u8; 32];
        assert_eq!(message_id("AUTH", &sha), hex::encode(sha));
        assert_eq!(message_id("SOMETHING_NEW", &sha), hex::encode(sha));
        let a = message_id("BANK_TRANSFERS", &sha);
        let b = message_id("BANK_TRANSFERS", &sha);
        assert_ne!(a, b);
        assert_ne!(message_id("TRANSFER", &sha), message_id("transfer", &sha));
    }
}
