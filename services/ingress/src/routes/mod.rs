//! The HTTP surface: `POST /webhooks/plaid` behind a load-shedding concurrency limit
//! ([`load_shed`]), and the operational endpoints `/healthz`, `/readyz`, `/metrics` (the shared
//! admin routes of `penny_runtime::admin`). Unknown routes and wrong methods
//! answer the same JSON error shape as rejections.

mod load_shed;
mod ops;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;

pub(crate) use load_shed::LoadShedder;

use crate::log_budget::LogBudget;
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::verify::SignatureVerifier;
use penny_runtime::Readiness;

/// Path Plaid posts webhooks to.
pub const WEBHOOK_PATH: &str = "/webhooks/plaid";

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub verifier: SignatureVerifier,
    pub publisher: Publisher,
    pub metrics: Arc<Metrics>,
    pub readiness: Arc<Readiness>,
    pub environment: String,
    pub max_body_bytes: usize,
    /// Bound on receiving the body.
    pub body_read_timeout: std::time::Duration,
    /// Sheds webhook requests beyond the in-flight limit.
    pub load_shedder: LoadShedder,
    /// Which rejections get a log line.
    pub rejection_log: LogBudget,
}

/// The application router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(webhook::receive))
        .merge(penny_runtime::admin::router(
            Arc::clone(&shared.readiness),
            shared.metrics.registry(),
        ))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .with_state(shared)
}
