//! The HTTP surface: `POST /webhooks/plaid` behind a load-shedding concurrency limit
//! ([`admission`]), and the
//! operational endpoints `/healthz`, `/readyz`, `/metrics`. Unknown routes and wrong methods
//! answer the same JSON error shape as rejections.

mod admission;
mod ops;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub(crate) use admission::Admission;

use crate::log_budget::LogBudget;
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
    /// Bound on receiving the body.
    pub body_read_timeout: std::time::Duration,
    /// Sheds webhook requests beyond the in-flight limit.
    pub admission: Admission,
    /// Which rejections get a log line.
    pub rejection_log: LogBudget,
}

/// The application router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(WEBHOOK_PATH, post(webhook::receive))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .with_state(shared)
}
