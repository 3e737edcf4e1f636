//! Trace propagation over NATS headers (W3C `traceparent`), delegating to `penny-telemetry`.

use async_nats::HeaderMap;

use crate::headers::HDR_TRACEPARENT;

/// Adds the current span's trace context to `headers` unless they already carry one (an
/// outbox row keeps the context of the transaction that wrote it).
pub fn inject_if_absent(headers: &mut HeaderMap) {
    if headers.get(HDR_TRACEPARENT).is_none() {
        inject(headers);
    }
}

/// Adds the current span's trace context to `headers`.
pub fn inject(headers: &mut HeaderMap) {
    penny_telemetry::inject_nats(headers);
}

/// Adds `span`'s trace context (not the current span's) to `headers`.
pub fn inject_of(span: &tracing::Span, headers: &mut HeaderMap) {
    penny_telemetry::inject_nats_of(span, headers);
}

/// Makes `span` a child of the trace context carried in `headers`, if any. Call it before the
/// span is first entered.
pub fn continue_trace(span: &tracing::Span, headers: Option<&HeaderMap>) {
    penny_telemetry::set_parent(span, penny_telemetry::extract_nats(headers));
}
