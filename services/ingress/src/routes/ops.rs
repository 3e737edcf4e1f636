//! The JSON fallbacks (the operational endpoints `/healthz`, `/readyz` and `/metrics` come from
//! `penny_runtime::admin`).

use std::sync::Arc;

use axum::extract::State;

use super::Shared;
use crate::error::Rejection;

/// Any unknown path.
pub(crate) async fn not_found() -> Rejection {
    Rejection::NotFound
}

/// A known path with the wrong method (e.g. `GET /webhooks/plaid`).
pub(crate) async fn method_not_allowed(State(shared): State<Arc<Shared>>) -> Rejection {
    shared.metrics.record_rejection(Rejection::MethodNotAllowed);
    Rejection::MethodNotAllowed
}
