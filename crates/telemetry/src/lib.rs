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
//! penny_telemetry::install_crypto_provider();
//! let _guard = penny_telemetry::init("penny-ingress", &penny_config::TelemetryArgs::default())?;
//! // ... run the service; dropping the guard flushes pending spans.
//! # Ok(()) }
//! ```

mod attributes;
mod init;
mod json;
pub mod propagation;
mod shutdown;

pub use attributes::set_otel_attribute;
pub use init::{TelemetryGuard, init, otel_layer, tracer_provider};
pub use propagation::{
    current_trace_id, extract_grpc, extract_http, extract_nats, inject_grpc, inject_http,
    inject_nats, set_parent,
};
pub use shutdown::cancel_on_signal;

/// Installs rustls' aws-lc-rs crypto provider as the process default. Several dependencies pull in
/// both `ring` and `aws-lc-rs`, and then rustls cannot pick one by itself and panics on the first
/// TLS handshake that does not pass a provider explicitly (async-nats does not). Idempotent: call
/// it first in every `main` (and test setup); later calls are no-ops.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
