//! The HTTP surface: `POST /webhooks/plaid` behind a load-shedding concurrency limit, and the
//! operational endpoints `/healthz`, `/readyz`, `/metrics`. Unknown routes and wrong methods
//! answer the same JSON error shape as rejections.

mod ops;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::routing::{get, post};
use tower::ServiceBuilder;

use crate::error::Rejection;
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::readiness::Readiness;
use crate::verify::Verifier;

/// Path Plaid posts webhooks to.
pub const WEBHOOK_PATH: &str = "/webhooks/plaid";

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub verifier: Verifier,
    pub publisher: Publisher,
    pub metrics: Arc<Metrics>,
    pub readiness: Arc<Readiness>,
    pub environment: String,
    pub max_body_bytes: usize,
}

/// The application router.
pub(crate) fn router(shared: Arc<Shared>, max_in_flight: usize) -> Router {
    let metrics = Arc::clone(&shared.metrics);
    // Beyond `max_in_flight` concurrent webhook requests, the limit is not ready and load-shed
    // answers at once instead of queueing: latency stays bounded, Plaid retries the 503.
    let shed = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |_err: tower::BoxError| {
            let metrics = Arc::clone(&metrics);
            async move {
                metrics.record_rejection(Rejection::Overloaded);
                Rejection::Overloaded
            }
        }))
        .load_shed()
        .concurrency_limit(max_in_flight.max(1));
    Router::new()
        .route(WEBHOOK_PATH, post(webhook::receive).route_layer(shed))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .with_state(shared)
}
