//! Attributes on a span's OpenTelemetry side only.
//!
//! A `tracing` field recorded after the span was created (`span.record(..)`) is cheap for the
//! OpenTelemetry layer but not for the JSON log layer, which re-parses and re-serialises all of
//! the span's fields on every record. On a hot path (one span per webhook) values learnt late
//! go to the exported span only, through [`set_otel_attribute`].

use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Sets `key = value` on the OpenTelemetry span behind `span` (a no-op when no OpenTelemetry
/// layer is installed or the span is disabled). Log lines do not show it.
pub fn set_otel_attribute(span: &tracing::Span, key: &'static str, value: String) {
    span.set_attribute(key, value);
}
