//! Telemetry for every penny binary: one call to [`init`] installs logging (JSON or pretty, filtered
//! by an `EnvFilter`), an OpenTelemetry tracer (exported over OTLP/gRPC when an endpoint is
//! configured) bridged from `tracing` spans, and the W3C TraceContext propagator.
//!
//! The carrier helpers in [`propagation`] move the trace across process boundaries: NATS message
//! headers, HTTP headers and gRPC metadata all carry a `traceparent`, so one webhook is one trace
//! from ingress to the last consumer.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let _guard = penny_telemetry::init("penny-ingress", &penny_config::TelemetryArgs::default())?;
//! // ... run the service; dropping the guard flushes pending spans.
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod attributes;
mod init;
mod json;
pub mod propagation;

pub use attributes::set_otel_attribute;
pub use init::{TelemetryGuard, init, otel_layer, tracer_provider};
pub use propagation::{
    add_link, add_remote_link, current_trace_id, extract_grpc, extract_http, extract_nats,
    inject_grpc, inject_http, inject_nats, inject_nats_of, set_parent,
};
