//! W3C TraceContext (`traceparent`, `tracestate`) across process boundaries.
//!
//! Sending side: inside the span that does the work, call `inject_*` on the outgoing headers; the
//! helpers read the current `tracing` span's OpenTelemetry context.
//!
//! Receiving side: `extract_*` the remote context from the incoming headers, create the handling
//! span, and [`set_parent`] it **before** the span is first entered (entering it fixes its trace):
//!
//! ```
//! # use tracing::Instrument as _;
//! # async fn handle() {}
//! # async fn on_message(msg: async_nats::Message) {
//! let span = tracing::info_span!("handle_webhook", subject = %msg.subject);
//! penny_telemetry::set_parent(&span, penny_telemetry::extract_nats(msg.headers.as_ref()));
//! handle().instrument(span).await;
//! # }
//! ```
//!
//! The helpers use the TraceContext propagator directly (not the global one), so they behave the
//! same whether or not [`crate::init`] ran. An empty `tracestate` is not written (the
//! propagator always offers one; W3C lets a sender omit it, and it would cost a header on every
//! message).

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

fn inject(injector: &mut dyn Injector) {
    inject_of(&tracing::Span::current(), injector);
}

fn inject_of(span: &tracing::Span, injector: &mut dyn Injector) {
    let cx = span.context();
    TraceContextPropagator::new().inject_context(&cx, injector);
}

fn extract(extractor: &dyn Extractor) -> Context {
    TraceContextPropagator::new().extract(extractor)
}

/// Writes the current span's trace context into NATS message headers.
pub fn inject_nats(headers: &mut async_nats::HeaderMap) {
    inject(&mut NatsInjector(headers));
}

/// Writes `span`'s trace context (not the current span's) into NATS message headers.
pub fn inject_nats_of(span: &tracing::Span, headers: &mut async_nats::HeaderMap) {
    inject_of(span, &mut NatsInjector(headers));
}

/// Reads a remote trace context from NATS message headers (`msg.headers.as_ref()`). Missing or
/// malformed headers give an empty context: the handling span then starts a new trace.
pub fn extract_nats(headers: Option<&async_nats::HeaderMap>) -> Context {
    match headers {
        Some(h) => extract(&NatsExtractor(h)),
        None => Context::new(),
    }
}

/// Writes the current span's trace context into HTTP headers (outgoing requests).
pub fn inject_http(headers: &mut http::HeaderMap) {
    inject(&mut HttpInjector(headers));
}

/// Reads a remote trace context from HTTP headers (incoming requests).
pub fn extract_http(headers: &http::HeaderMap) -> Context {
    extract(&HttpExtractor(headers))
}

/// Writes the current span's trace context into gRPC request metadata (outgoing calls).
pub fn inject_grpc(metadata: &mut tonic::metadata::MetadataMap) {
    inject(&mut GrpcInjector(metadata));
}

/// Reads a remote trace context from gRPC metadata (`request.metadata()`).
pub fn extract_grpc(metadata: &tonic::metadata::MetadataMap) -> Context {
    extract(&GrpcExtractor(metadata))
}

/// Makes `cx` (from an `extract_*` helper) the parent of `span`, so the span continues the remote
/// trace. Call it before the span is first entered; afterwards the parent can no longer change
/// and the call is a no-op (logged at debug level), as it is when `cx` holds no valid remote span.
pub fn set_parent(span: &tracing::Span, cx: Context) {
    if !cx.span().span_context().is_valid() {
        return;
    }
    if let Err(e) = span.set_parent(cx) {
        tracing::debug!(error = %e, "could not set the parent of a span");
    }
}

/// Links `span` to `other`'s trace: for work that serves many traces at once (one database
/// commit for a batch of webhooks, one sync for many pokes), which has no single parent. A
/// no-op when `other` carries no trace context.
pub fn add_link(span: &tracing::Span, other: &tracing::Span) {
    add_remote_link(span, &other.context());
}

/// Links `span` to the span of `cx` (from an `extract_*` helper): as [`add_link`], for a span
/// known only by the trace context it left behind (a `traceparent` kept in a database row). A
/// no-op when `cx` holds no valid span.
pub fn add_remote_link(span: &tracing::Span, cx: &Context) {
    let linked = cx.span().span_context().clone();
    if linked.is_valid() {
        span.add_link(linked);
    }
}

/// The trace id of the current span as 32 lowercase hex digits, or `None` outside any span (or
/// when no OpenTelemetry layer is installed). Handy in responses and error bodies.
pub fn current_trace_id() -> Option<String> {
    let cx = tracing::Span::current().context();
    let span = cx.span();
    let span_cx = span.span_context();
    span_cx.is_valid().then(|| span_cx.trace_id().to_string())
}

struct NatsInjector<'a>(&'a mut async_nats::HeaderMap);

impl Injector for NatsInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if value.is_empty() {
            return;
        }
        match key {
            "traceparent" => self.0.insert(TRACEPARENT, value),
            "tracestate" => self.0.insert(TRACESTATE, value),
            other => self.0.insert(other, value),
        }
    }
}

// The propagator's header names, built once rather than per message.
const TRACEPARENT: async_nats::header::HeaderName =
    async_nats::header::HeaderName::from_static("traceparent");
const TRACESTATE: async_nats::header::HeaderName =
    async_nats::header::HeaderName::from_static("tracestate");

struct NatsExtractor<'a>(&'a async_nats::HeaderMap);

impl Extractor for NatsExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        // NATS header names are case-sensitive; accept any case from other producers.
        self.0.get(key).map(|v| v.as_str()).or_else(|| {
            self.0
                .iter()
                .find(|(name, _)| AsRef::<str>::as_ref(*name).eq_ignore_ascii_case(key))
                .and_then(|(_, values)| values.first())
                .map(|v| v.as_str())
        })
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_ref()).collect()
    }
}

struct HttpInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HttpInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if value.is_empty() {
            return;
        }
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HttpExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HttpExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct GrpcInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for GrpcInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if value.is_empty() {
            return;
        }
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct GrpcExtractor<'a>(&'a tonic::metadata::MetadataMap);

impl Extractor for GrpcExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .map(|k| match k {
                tonic::metadata::KeyRef::Ascii(k) => k.as_str(),
                tonic::metadata::KeyRef::Binary(k) => k.as_str(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use tracing::Subscriber;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;
    use crate::init::{otel_layer, tracer_provider};

    fn subscriber() -> impl Subscriber + Send + Sync {
        let provider = tracer_provider("test", None).unwrap();
        tracing_subscriber::registry().with(otel_layer(&provider, "test"))
    }

    /// Trace id of `span`'s context once entered.
    fn trace_id_in(span: &tracing::Span) -> String {
        span.in_scope(|| current_trace_id().unwrap())
    }

    #[test]
    fn nats_headers_carry_the_trace_to_another_span() {
        tracing::subscriber::with_default(subscriber(), || {
            let sender = tracing::info_span!("publish");
            let mut headers = async_nats::HeaderMap::new();
            sender.in_scope(|| inject_nats(&mut headers));
            let traceparent = headers.get("traceparent").unwrap().as_str().to_owned();
            let sent = trace_id_in(&sender);
            assert!(traceparent.contains(&sent), "{traceparent} vs {sent}");
            assert!(
                headers.get("tracestate").is_none(),
                "no empty tracestate header"
            );

            let receiver = tracing::info_span!("consume");
            set_parent(&receiver, extract_nats(Some(&headers)));
            assert_eq!(trace_id_in(&receiver), sent);

            // A span with no remote parent starts its own trace.
            let other = tracing::info_span!("unrelated");
            set_parent(&other, extract_nats(None));
            assert_ne!(trace_id_in(&other), sent);
        });
    }

    #[test]
    fn nats_extraction_ignores_header_name_case() {
        tracing::subscriber::with_default(subscriber(), || {
            let sender = tracing::info_span!("publish");
            let mut h = async_nats::HeaderMap::new();
            sender.in_scope(|| inject_nats(&mut h));
            let mut upper = async_nats::HeaderMap::new();
            upper.insert("Traceparent", h.get("traceparent").unwrap().as_str());
            let receiver = tracing::info_span!("consume");
            set_parent(&receiver, extract_nats(Some(&upper)));
            assert_eq!(trace_id_in(&receiver), trace_id_in(&sender));
        });
    }

    #[test]
    fn http_headers_carry_the_trace_to_another_span() {
        tracing::subscriber::with_default(subscriber(), || {
            let sender = tracing::info_span!("request");
            let mut headers = http::HeaderMap::new();
            sender.in_scope(|| inject_http(&mut headers));
            assert!(headers.contains_key("traceparent"));

            let receiver = tracing::info_span!("handle");
            set_parent(&receiver, extract_http(&headers));
            assert_eq!(trace_id_in(&receiver), trace_id_in(&sender));
        });
    }

    #[test]
    fn grpc_metadata_carries_the_trace_to_another_span() {
        tracing::subscriber::with_default(subscriber(), || {
            let sender = tracing::info_span!("call");
            let mut md = tonic::metadata::MetadataMap::new();
            sender.in_scope(|| inject_grpc(&mut md));
            let receiver = tracing::info_span!("rpc");
            set_parent(&receiver, extract_grpc(&md));
            assert_eq!(trace_id_in(&receiver), trace_id_in(&sender));
        });
    }

    #[test]
    fn malformed_traceparent_starts_a_new_trace() {
        tracing::subscriber::with_default(subscriber(), || {
            let mut headers = http::HeaderMap::new();
            headers.insert("traceparent", http::HeaderValue::from_static("00-zz-01"));
            let span = tracing::info_span!("handle");
            set_parent(&span, extract_http(&headers));
            assert_eq!(trace_id_in(&span).len(), 32);
        });
    }

    #[test]
    fn no_trace_id_outside_spans_or_without_the_layer() {
        tracing::subscriber::with_default(subscriber(), || {
            assert_eq!(current_trace_id(), None);
        });
        let plain = tracing_subscriber::registry();
        tracing::subscriber::with_default(plain, || {
            let span = tracing::info_span!("x");
            assert_eq!(span.in_scope(current_trace_id), None);
        });
    }
}
