//! [`TraceLayer`]: one span per gRPC call, continuing the caller's W3C trace from the request
//! metadata (`traceparent`), so the method's own spans join the caller's trace. Health checks
//! get no span (probes every few seconds would drown the traces).

use std::task::{Context, Poll};

use tracing::Instrument as _;
use tracing::instrument::Instrumented;

/// The layer; add it to the server once.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceLayer;

impl<S> tower::Layer<S> for TraceLayer {
    type Service = TraceService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TraceService { inner }
    }
}

/// The service [`TraceLayer`] wraps around the server's routes.
#[derive(Clone, Debug)]
pub struct TraceService<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for TraceService<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        let span = if path.starts_with("/grpc.health.") {
            tracing::Span::none()
        } else {
            let span = tracing::info_span!(
                "grpc.server",
                otel.kind = "server",
                otel.name = %path.trim_start_matches('/'),
                rpc.system = "grpc",
            );
            penny_telemetry::set_parent(&span, penny_telemetry::extract_http(request.headers()));
            span
        };
        self.inner.call(request).instrument(span)
    }
}
