//! The admin HTTP server every penny service runs: `/healthz` (the process answers),
//! `/readyz` (every readiness check passes and the service is not draining) and `/metrics`
//! (the service's Prometheus registry in OpenMetrics text).
//!
//! [`router`] gives the routes so a service can mount them beside its own (ingress serves them
//! on its webhook port); [`serve`] runs them on a port of their own (the consumer services'
//! admin port, which Kubernetes probes and Prometheus scrape).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::http::HttpListener;
use crate::readiness::Readiness;

/// The OpenMetrics text content type.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone)]
struct Admin {
    readiness: Arc<Readiness>,
    registry: Arc<Registry>,
}

/// `/healthz`, `/readyz` and `/metrics` over `readiness` and `registry`.
pub fn router<S>(readiness: Arc<Readiness>, registry: Arc<Registry>) -> Router<S> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(Admin {
            readiness,
            registry,
        })
}

/// An admin listener bound and ready to serve.
#[derive(Debug)]
pub struct AdminServer {
    listener: HttpListener,
}

impl AdminServer {
    /// Binds `addr` (port 0 picks a free port; see [`AdminServer::local_addr`]).
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Self> {
        Ok(Self {
            listener: HttpListener::bind(addr, "admin server").await?,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// Serves [`router`] until `shutdown` is cancelled. The admin server stops last among
    /// equals: it keeps answering (`/readyz` says draining) while the other tasks drain, and
    /// ends with the supervisor's grace period.
    pub async fn serve(
        self,
        readiness: Arc<Readiness>,
        registry: Arc<Registry>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "admin server: /healthz /readyz /metrics");
        self.listener
            .serve(router::<()>(readiness, registry), shutdown)
            .await
    }
}

async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

async fn readyz(State(admin): State<Admin>) -> Response {
    let ready = admin.readiness.is_ready();
    let checks: serde_json::Map<String, serde_json::Value> = admin
        .readiness
        .report()
        .into_iter()
        .map(|c| {
            let value = match c.failure {
                None => json!("ok"),
                Some(why) => json!(why),
            };
            (c.name.to_owned(), value)
        })
        .collect();
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    (
        status,
        axum::Json(json!({"status": word, "checks": checks})),
    )
        .into_response()
}

async fn metrics(State(admin): State<Admin>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &admin.registry) {
        Ok(()) => ([(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)], text).into_response(),
        Err(error) => {
            tracing::error!(%error, "encoding metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
