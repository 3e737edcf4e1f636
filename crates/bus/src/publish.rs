//! Durable publishing: publish, await the PubAck, and say precisely why it failed.

use std::time::Duration;

use async_nats::{
    HeaderMap,
    connection::State,
    jetstream::{
        self, ErrorCode,
        context::{PublishError as NatsPublishError, PublishErrorKind},
        message::PublishMessage,
    },
};
use bytes::Bytes;

use crate::trace;

/// A message the stream acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishOutcome {
    /// Its sequence in the stream (for a duplicate: the sequence of the original).
    pub stream_seq: u64,
    /// True when the stream had already stored a message with the same `Nats-Msg-Id` within its
    /// duplicate window and dropped this one.
    pub duplicate: bool,
}

/// Why a durable publish was not acknowledged. In every case the message may or may not have
/// been stored; retrying with the same `msg_id` is safe within the stream's duplicate window.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The client is not connected to NATS (it keeps reconnecting in the background).
    #[error("NATS is not connected")]
    Unavailable,
    /// No PubAck within the ack timeout.
    #[error("no PubAck within {0:?}")]
    Timeout(Duration),
    /// The stream refused the message because it is full (discard policy `new`) or the server
    /// is out of storage.
    #[error("stream is full: {0}")]
    StreamFull(String),
    /// No stream listens on the subject.
    #[error("no stream captures subject {0}")]
    NoStream(String),
    /// The message is larger than the server or the stream accepts.
    #[error("message too large: {0}")]
    TooLarge(String),
    /// Anything else (bad subject, unexpected server error, ...).
    #[error("publish failed: {0}")]
    Other(String),
}

impl PublishError {
    /// A short stable label for metrics: `unavailable`, `timeout`, `stream_full`, `no_stream`,
    /// `too_large` or `other`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Timeout(_) => "timeout",
            Self::StreamFull(_) => "stream_full",
            Self::NoStream(_) => "no_stream",
            Self::TooLarge(_) => "too_large",
            Self::Other(_) => "other",
        }
    }

    /// Whether trying again later can succeed (everything except `TooLarge`, `NoStream` and
    /// `Other`).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable | Self::Timeout(_) | Self::StreamFull(_)
        )
    }
}

/// Publishes `payload` on `subject` and waits up to `ack_timeout` for the stream's PubAck.
///
/// `msg_id` becomes the `Nats-Msg-Id` header, so the stream drops a second copy published
/// within its duplicate window (the outcome then says `duplicate: true`). When `headers` has
/// no `traceparent`, the current span's trace context is added.
///
/// Its span is at debug level: the caller's span (one per webhook or outbox row) is what goes
/// into the trace, and a second span per message would double the tracing cost on the hot path.
#[tracing::instrument(level = "debug", skip_all, fields(subject = %subject, msg_id = msg_id.unwrap_or("")))]
pub async fn publish_durable(
    js: &jetstream::Context,
    subject: &str,
    mut headers: HeaderMap,
    payload: Bytes,
    msg_id: Option<&str>,
    ack_timeout: Duration,
) -> Result<PublishOutcome, PublishError> {
    if js.client().connection_state() != State::Connected {
        return Err(PublishError::Unavailable);
    }
    trace::inject_if_absent(&mut headers);
    let mut message = PublishMessage::build().payload(payload).headers(headers);
    if let Some(id) = msg_id {
        message = message.message_id(id);
    }
    let attempt = async {
        let ack_future = js.send_publish(subject.to_owned(), message).await?;
        ack_future.await
    };
    match tokio::time::timeout(ack_timeout, attempt).await {
        Ok(Ok(ack)) => Ok(PublishOutcome {
            stream_seq: ack.sequence,
            duplicate: ack.duplicate,
        }),
        Ok(Err(err)) => Err(classify(js, subject, ack_timeout, &err)),
        Err(_elapsed) => Err(timeout_or_unavailable(js, ack_timeout)),
    }
}

fn timeout_or_unavailable(js: &jetstream::Context, ack_timeout: Duration) -> PublishError {
    if js.client().connection_state() == State::Connected {
        PublishError::Timeout(ack_timeout)
    } else {
        PublishError::Unavailable
    }
}

fn classify(
    js: &jetstream::Context,
    subject: &str,
    ack_timeout: Duration,
    err: &NatsPublishError,
) -> PublishError {
    match err.kind() {
        PublishErrorKind::TimedOut | PublishErrorKind::BrokenPipe => {
            timeout_or_unavailable(js, ack_timeout)
        }
        PublishErrorKind::StreamNotFound => PublishError::NoStream(subject.to_owned()),
        PublishErrorKind::MaxPayloadExceeded => PublishError::TooLarge(err.to_string()),
        _ => match server_error(err) {
            Some(server)
                if server.error_code() == ErrorCode::STREAM_STORE_FAILED
                    || server.error_code() == ErrorCode::INSUFFICIENT_RESOURCES =>
            {
                PublishError::StreamFull(server.to_string())
            }
            Some(server)
                if server.error_code() == ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM
                    || server.error_code() == ErrorCode::STREAM_HEADER_EXCEEDS_MAXIMUM =>
            {
                PublishError::TooLarge(server.to_string())
            }
            Some(server) => PublishError::Other(server.to_string()),
            None => PublishError::Other(err.to_string()),
        },
    }
}

/// The JetStream API error the server answered with, if that is what `err` wraps.
fn server_error(err: &NatsPublishError) -> Option<&jetstream::Error> {
    std::error::Error::source(err)?.downcast_ref::<jetstream::Error>()
}
