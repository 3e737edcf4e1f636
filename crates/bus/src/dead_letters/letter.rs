//! [`DeadLetter`]: one parked message as read back from the stream, and the errors of
//! dead-letter operations.

use std::fmt;

use async_nats::{HeaderMap, jetstream::message::StreamMessage};
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::{
    PublishError,
    headers::{
        HDR_DEAD_AT, HDR_DEAD_CONSUMER, HDR_DEAD_DELIVERIES, HDR_DEAD_ORIGINAL_STREAM,
        HDR_DEAD_ORIGINAL_SUBJECT, HDR_DEAD_REASON, HDR_DEAD_STREAM_SEQ, header_str,
    },
    subjects::original_subject_of_dlq,
};

/// One parked message.
#[derive(Clone)]
pub struct DeadLetter {
    /// Its sequence in `DEAD_LETTERS` (what `redrive` and `discard` take).
    pub seq: u64,
    /// The subject it was consumed from.
    pub original_subject: String,
    /// The stream it was consumed from.
    pub original_stream: Option<String>,
    /// Its sequence in that stream.
    pub original_seq: Option<u64>,
    /// The consumer that parked it.
    pub consumer: Option<String>,
    /// Why it was parked.
    pub reason: String,
    /// How many times it had been delivered.
    pub deliveries: u64,
    /// When it was parked.
    pub at: Option<DateTime<Utc>>,
    /// All its headers, the `Penny-Dead-…` ones included.
    pub headers: HeaderMap,
    /// The original payload.
    pub payload: Bytes,
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload is not printed: it may hold data that must not reach logs.
        f.debug_struct("DeadLetter")
            .field("seq", &self.seq)
            .field("original_subject", &self.original_subject)
            .field("original_stream", &self.original_stream)
            .field("original_seq", &self.original_seq)
            .field("consumer", &self.consumer)
            .field("reason", &self.reason)
            .field("deliveries", &self.deliveries)
            .field("at", &self.at)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// Why a dead-letter operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    /// No dead letter has that sequence.
    #[error("no dead letter with sequence {0}")]
    NotFound(u64),
    /// The stored message is not a dead letter (wrong subject).
    #[error("message {0} is not a dead letter")]
    Malformed(u64),
    /// Republishing failed; the dead letter is kept.
    #[error("republishing dead letter {seq}: {source}")]
    Republish {
        /// Dead-letter sequence.
        seq: u64,
        /// Cause.
        #[source]
        source: PublishError,
    },
    /// A JetStream API call failed.
    #[error("{what}: {source}")]
    Nats {
        /// What was being done.
        what: &'static str,
        /// Cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl DeadLetterError {
    pub(super) fn nats(
        what: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Nats {
            what,
            source: Box::new(source),
        }
    }
}

/// Reads a stored dead-letter message.
pub(super) fn to_dead_letter(message: StreamMessage) -> Result<DeadLetter, DeadLetterError> {
    let headers = Some(&message.headers);
    let original_subject = header_str(headers, HDR_DEAD_ORIGINAL_SUBJECT)
        .map(str::to_owned)
        .or_else(|| original_subject_of_dlq(&message.subject).map(str::to_owned))
        .ok_or(DeadLetterError::Malformed(message.sequence))?;
    let parse = |name| header_str(headers, name).and_then(|v| v.parse::<u64>().ok());
    Ok(DeadLetter {
        seq: message.sequence,
        original_stream: header_str(headers, HDR_DEAD_ORIGINAL_STREAM)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        original_seq: parse(HDR_DEAD_STREAM_SEQ),
        consumer: header_str(headers, HDR_DEAD_CONSUMER).map(str::to_owned),
        reason: header_str(headers, HDR_DEAD_REASON)
            .unwrap_or_default()
            .to_owned(),
        deliveries: parse(HDR_DEAD_DELIVERIES).unwrap_or(0),
        at: header_str(headers, HDR_DEAD_AT)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc)),
        original_subject,
        headers: message.headers,
        payload: message.payload,
    })
}
