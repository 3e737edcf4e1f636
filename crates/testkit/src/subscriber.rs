//! Process-wide test setup: the rustls crypto provider and a tracing subscriber.

use std::sync::Once;

use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _, fmt};

/// Default log filter of tests; `RUST_LOG` overrides it.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,h2=warn,hyper=warn,tower=warn";

static SUBSCRIBER: Once = Once::new();

/// Call first in every test (idempotent, cheap): installs the aws-lc-rs rustls provider and, once
/// per process, a global subscriber that writes logs through the test harness's capture
/// (`RUST_LOG` filter, default `info`) and records spans with OpenTelemetry (no exporter), so
/// spans have real trace ids and `traceparent` propagation works in tests as in production.
pub fn init() {
    penny_runtime::install_crypto_provider();
    SUBSCRIBER.call_once(|| {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
        let Ok(provider) = penny_telemetry::tracer_provider("penny-test", None) else {
            return; // cannot fail without an exporter; tests then simply run without traces
        };
        // Err: another subscriber was installed first (e.g. by the test itself); keep that one.
        let _ = tracing_subscriber::registry()
            .with(fmt::layer().with_test_writer().with_filter(filter))
            .with(penny_telemetry::otel_layer(&provider, "penny-test"))
            .try_init();
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        opentelemetry::global::set_tracer_provider(provider);
    });
}
