//! `init` installs the global subscriber (once per process, hence its own test binary): spans get
//! real trace ids, `traceparent` is injected, and an OTLP exporter pointing at a closed port
//! neither fails start-up nor hangs shutdown.

use std::time::{Duration, Instant};

use penny_config::{LogFormat, TelemetryArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_with_an_unreachable_collector_works_and_shuts_down() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let args = TelemetryArgs {
        log_format: LogFormat::Pretty,
        log_filter: "warn".to_owned(),
        otlp_endpoint: Some(format!("http://127.0.0.1:{port}")),
    };
    let guard = penny_telemetry::init("penny-telemetry-test", &args).unwrap();

    // A filter that hides INFO logs must not hide INFO spans from OpenTelemetry.
    let span = tracing::info_span!("work");
    let (trace_id, headers) = span.in_scope(|| {
        let mut h = async_nats::HeaderMap::new();
        penny_telemetry::inject_nats(&mut h);
        (penny_telemetry::current_trace_id(), h)
    });
    let trace_id = trace_id.expect("spans have trace ids");
    let traceparent = headers.get("traceparent").unwrap().as_str();
    assert_eq!(
        traceparent,
        format!("00-{trace_id}-{}-01", &traceparent[36..52])
    );

    assert!(
        penny_telemetry::init("again", &TelemetryArgs::default()).is_err(),
        "a second init must fail, not silently replace the subscriber"
    );

    drop(span);
    let started = Instant::now();
    drop(guard);
    assert!(started.elapsed() < Duration::from_secs(10));
}
