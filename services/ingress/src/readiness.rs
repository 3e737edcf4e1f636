//! Readiness: NATS connected and the `PLAID_WEBHOOKS` stream present. The stream check is a
//! server round trip, so a background task refreshes it every interval and `/readyz` reads the
//! cached answer; connectivity is read live (it is a local watch value).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream::{self, ErrorCode, context::GetStreamErrorKind};
use penny_bus::{PLAID_WEBHOOKS, StreamSettings, ensure_plaid_webhooks};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// Cached readiness of the ingress.
#[derive(Debug)]
pub struct Readiness {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: StreamSettings,
    metrics: Arc<Metrics>,
    stream_ok: AtomicBool,
    draining: AtomicBool,
}

impl Readiness {
    /// Readiness over `client`; `stream_ok` is the state known at construction.
    pub(crate) fn new(
        client: async_nats::Client,
        js: jetstream::Context,
        stream: StreamSettings,
        metrics: Arc<Metrics>,
        stream_ok: bool,
    ) -> Self {
        metrics.set_nats_ready(stream_ok);
        Self {
            client,
            js,
            stream,
            metrics,
            stream_ok: AtomicBool::new(stream_ok),
            draining: AtomicBool::new(false),
        }
    }

    /// Whether the ingress should receive traffic now.
    pub fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::Relaxed)
            && self.client.connection_state() == State::Connected
            && self.stream_ok.load(Ordering::Relaxed)
    }

    /// Marks the ingress as shutting down: `/readyz` fails from now on.
    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Refreshes the cached stream check every `interval` until `token` is cancelled.
    pub(crate) async fn run(self: Arc<Self>, interval: Duration, token: CancellationToken) {
        loop {
            let ok = self.check(interval.max(Duration::from_millis(500))).await;
            let was = self.stream_ok.swap(ok, Ordering::Relaxed);
            if was != ok {
                tracing::info!(ready = ok, "NATS readiness changed");
            }
            self.metrics.set_nats_ready(ok);
            tokio::select! {
                () = token.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// One check: connected, and the stream exists (re-created if it vanished, e.g. after a
    /// NATS restart without persistent storage).
    async fn check(&self, timeout: Duration) -> bool {
        if self.client.connection_state() != State::Connected {
            return false;
        }
        let lookup = tokio::time::timeout(timeout, self.js.get_stream(PLAID_WEBHOOKS)).await;
        match lookup {
            Ok(Ok(_)) => true,
            Ok(Err(e)) => match e.kind() {
                GetStreamErrorKind::JetStream(js_err)
                    if js_err.error_code() == ErrorCode::STREAM_NOT_FOUND =>
                {
                    tracing::warn!("stream {PLAID_WEBHOOKS} missing, re-creating it");
                    match ensure_plaid_webhooks(&self.js, &self.stream).await {
                        Ok(_) => true,
                        Err(e) => {
                            tracing::warn!(error = %e, "re-creating the stream failed");
                            false
                        }
                    }
                }
                _ => {
                    tracing::debug!(error = %e, "stream lookup failed");
                    false
                }
            },
            Err(_elapsed) => false,
        }
    }
}
