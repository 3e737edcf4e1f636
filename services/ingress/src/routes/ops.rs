//! Operational endpoints and the JSON fallbacks.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Shared;
use crate::error::Rejection;

/// `/healthz`: the process is alive and serving HTTP.
pub(crate) async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// `/readyz`: NATS connected and the stream present (cached), and not shutting down.
pub(crate) async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.readiness.is_ready() {
        Json(json!({"status": "ready"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready"})),
        )
            .into_response()
    }
}

/// `/metrics`: Prometheus / OpenMetrics text.
pub(crate) async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.encode(),
    )
        .into_response()
}

/// Any unknown path.
pub(crate) async fn not_found() -> Rejection {
    Rejection::NotFound
}

/// A known path with the wrong method (e.g. `GET /webhooks/plaid`).
pub(crate) async fn method_not_allowed(State(shared): State<Arc<Shared>>) -> Rejection {
    shared.metrics.record_rejection(Rejection::MethodNotAllowed);
    Rejection::MethodNotAllowed
}
