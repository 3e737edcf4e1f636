//! [`Delivery`]: one message as a handler sees it.

use std::fmt;
use std::time::SystemTime;

use async_nats::HeaderMap;
use bytes::Bytes;

use crate::headers::header_str;

/// One delivery of a stream message: subject, payload, headers and delivery metadata.
///
/// Built by [`crate::run_consumer`] from a JetStream message, or by tests with
/// [`Delivery::new`].
#[derive(Clone)]
pub struct Delivery {
    pub(crate) subject: String,
    pub(crate) payload: Bytes,
    pub(crate) headers: HeaderMap,
    pub(crate) stream: String,
    pub(crate) stream_sequence: u64,
    pub(crate) delivered: u64,
    pub(crate) published: Option<SystemTime>,
    pub(crate) span: tracing::Span,
}

impl Delivery {
    /// A first delivery (count 1, sequence 0, stream `""`, no publish time) of `payload` on
    /// `subject`; for tests that call a handler directly.
    pub fn new(subject: impl Into<String>, payload: impl Into<Bytes>, headers: HeaderMap) -> Self {
        Self {
            subject: subject.into(),
            payload: payload.into(),
            headers,
            stream: String::new(),
            stream_sequence: 0,
            delivered: 1,
            published: None,
            span: tracing::Span::none(),
        }
    }

    /// The same delivery as the `delivered`-th attempt of stream sequence `stream_sequence`.
    pub fn with_delivery(mut self, delivered: u64, stream_sequence: u64) -> Self {
        self.delivered = delivered;
        self.stream_sequence = stream_sequence;
        self
    }

    /// The subject the message was published on.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The message body.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The message headers (empty when it had none).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The last value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_str(Some(&self.headers), name)
    }

    /// The stream it came from.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Its sequence in the stream (stable across redeliveries: a good idempotency key).
    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence
    }

    /// How many times it has been delivered, this time included (1 on the first delivery).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// When the stream stored the message (stable across redeliveries); `None` for a
    /// [`Delivery::new`].
    pub fn published(&self) -> Option<SystemTime> {
        self.published
    }

    /// The span of this delivery; its parent is the trace context from the message headers
    /// (`traceparent`), so spans the handler opens continue the publisher's trace.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload is not printed: it may hold data that must not reach logs.
        f.debug_struct("Delivery")
            .field("subject", &self.subject)
            .field("stream", &self.stream)
            .field("stream_sequence", &self.stream_sequence)
            .field("delivered", &self.delivered)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}
