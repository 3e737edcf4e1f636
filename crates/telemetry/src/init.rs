//! Building and installing the global subscriber: log layer, OpenTelemetry layer, propagator.

use std::time::Duration;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use penny_config::{LogFormat, TelemetryArgs};
use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, fmt};

use crate::json::{TraceIdLayer, WithTraceIds};

/// How long dropping the guard may wait for the last spans to reach the collector.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Keeps the tracer provider alive; dropping it flushes pending spans and shuts the exporter down
/// (waiting at most 5 s). Hold it in `main` until the service has stopped.
#[must_use = "dropping the guard shuts tracing down"]
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(e) = self.provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
            // The subscriber may already be unusable at this point; stderr always works.
            eprintln!("penny-telemetry: tracer shutdown failed: {e}");
        }
    }
}

/// Installs the global `tracing` subscriber for the service `service`:
///
/// * log lines on stdout, JSON (with `trace_id`/`span_id` of the current span) or pretty, filtered
///   by `args.log_filter`;
/// * an OpenTelemetry layer (spans at INFO and above, whatever the log filter) whose spans always
///   get real trace ids, exported over OTLP/gRPC to `args.otlp_endpoint` when set;
/// * the W3C TraceContext propagator as the global text-map propagator;
/// * the `log` → `tracing` bridge, so dependencies using `log` are filtered and formatted too.
///
/// With an OTLP endpoint it must run inside a Tokio runtime (the gRPC channel lives there), and
/// the guard should be dropped before that runtime shuts down. Fails when the filter does not
/// parse or a global subscriber is already installed.
pub fn init(service: &'static str, args: &TelemetryArgs) -> anyhow::Result<TelemetryGuard> {
    let filter = EnvFilter::try_new(&args.log_filter)
        .with_context(|| format!("invalid log filter {:?}", args.log_filter))?;
    let provider = tracer_provider(service, args.otlp_endpoint.as_deref())?;
    let log_layer = log_layer(args.log_format, std::io::stdout).with_filter(filter);
    tracing_subscriber::registry()
        .with(log_layer)
        .with(otel_layer(&provider, service))
        .try_init()
        .context("a global tracing subscriber is already installed")?;
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok(TelemetryGuard { provider })
}

/// A tracer provider for `service`: with a batch OTLP/gRPC exporter when `otlp_endpoint` is set
/// (must then be called inside a Tokio runtime), else with no exporter at all, which still hands
/// out valid trace and span ids so `traceparent` propagation works. Public so test harnesses
/// build the same thing; services call [`init`].
///
/// The standard OpenTelemetry variables apply too: `OTEL_SERVICE_NAME` (and
/// `OTEL_RESOURCE_ATTRIBUTES`) name the service, `OTEL_TRACES_SAMPLER` / `_ARG` choose the
/// sampler, and with no `otlp_endpoint` given, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_ENDPOINT` turns export on (`PENNY_OTLP_ENDPOINT`, penny's own name, wins
/// when both are set).
pub fn tracer_provider(
    service: &'static str,
    otlp_endpoint: Option<&str>,
) -> anyhow::Result<SdkTracerProvider> {
    // `Resource::builder()` reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the binary's own
    // name only fills in when the operator did not choose one.
    let resource = if env_set("OTEL_SERVICE_NAME") {
        Resource::builder().build()
    } else {
        Resource::builder().with_service_name(service).build()
    };
    // The SDK's default configuration reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG.
    let builder = SdkTracerProvider::builder().with_resource(resource);
    let from_env = [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]
    .into_iter()
    .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()));
    let endpoint = otlp_endpoint.map(str::to_owned).or(from_env);
    let builder = match endpoint {
        None => builder,
        Some(endpoint) => {
            tokio::runtime::Handle::try_current()
                .context("the OTLP exporter must be created inside a Tokio runtime")?;
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(&endpoint)
                .build()
                .with_context(|| format!("building the OTLP exporter for {endpoint}"))?;
            builder.with_batch_exporter(exporter)
        }
    };
    Ok(builder.build())
}

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// The `tracing` → OpenTelemetry bridge layer, recording spans at INFO and above from `provider`
/// (independent of the log filter, so turning logs down never breaks trace propagation).
pub fn otel_layer<S>(
    provider: &SdkTracerProvider,
    service: &'static str,
) -> impl Layer<S> + Send + Sync + use<S>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service))
        // Per-span cost matters at webhook-burst rates (the ingress bench measures it): no
        // busy/idle timings on every poll, no allocated thread-name attribute, and no
        // activation of the OpenTelemetry context on every poll (penny reads the context from
        // the `tracing` span, never from `opentelemetry::Context::current()`).
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_context_activation(false)
        .with_filter(LevelFilter::INFO)
}

/// The log-line layer writing to `writer`, unfiltered.
pub(crate) fn log_layer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Json => fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(WithTraceIds(
                fmt::format()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            ))
            .with_writer(writer)
            .and_then(TraceIdLayer::default())
            .boxed(),
        LogFormat::Pretty => fmt::layer().pretty().with_writer(writer).boxed(),
    }
}
