//! The control API under `/__sandbox/` (not part of Plaid): simulate Link, drive the clock,
//! rotate keys, inject faults, configure rate limits, read the webhook log and stats, seed Items,
//! and drive micro-deposits in bulk.

mod faults;
mod link;
mod login;
mod observe;
mod settings;
mod sign;
mod sms;
mod transfers;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// A control API error: 400 (or 404) with `{"error": message}`.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The request is invalid.
    #[error("{0}")]
    BadRequest(String),
    /// A Plaid-shaped error (e.g. INVALID_LINK_TOKEN from `/__sandbox/link/complete`).
    #[error(transparent)]
    Plaid(#[from] ApiError),
    /// Something failed inside the sandbox.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        match self {
            ControlError::BadRequest(msg) => {
                (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
            }
            ControlError::Plaid(e) => {
                let body = e.body(&crate::ids::request_id());
                (
                    e.status,
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response()
            }
            ControlError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "control API failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({ "error": e.to_string() })),
                )
                    .into_response()
            }
        }
    }
}

/// Parses a control request body (an empty body counts as `{}`); unknown fields are refused.
pub(crate) fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ControlError> {
    let raw: &[u8] = if raw.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        raw
    };
    serde_json::from_slice(raw)
        .map_err(|e| ControlError::BadRequest(format!("invalid request body: {e}")))
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The control routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/__sandbox/health", get(health))
        .route("/__sandbox/link/complete", post(link::complete))
        .route("/__sandbox/items/reset_login", post(login::reset_login))
        .route(
            "/__sandbox/items/sms_verification",
            post(sms::sms_verification),
        )
        .route(
            "/__sandbox/clock",
            get(settings::clock_get).post(settings::clock_set),
        )
        .route("/__sandbox/keys", get(settings::keys_list))
        .route("/__sandbox/keys/rotate", post(settings::keys_rotate))
        .route(
            "/__sandbox/bank_transfers_webhook",
            get(settings::bank_transfers_webhook_get).post(settings::bank_transfers_webhook_set),
        )
        .route(
            "/__sandbox/rate_limits",
            get(settings::rate_limits_get).post(settings::rate_limits_set),
        )
        .route(
            "/__sandbox/faults",
            get(faults::list).post(faults::add).delete(faults::clear),
        )
        .route(
            "/__sandbox/webhooks",
            get(observe::webhooks).delete(observe::webhooks_clear),
        )
        .route("/__sandbox/webhooks/flush", post(observe::webhooks_flush))
        .route("/__sandbox/webhooks/sign", post(sign::sign))
        .route(
            "/__sandbox/stats",
            get(observe::stats).delete(observe::stats_reset),
        )
        .route("/__sandbox/seed", post(observe::seed))
        .route("/__sandbox/transfers", get(transfers::counts))
        .route("/__sandbox/transfers/items", post(transfers::items))
        .route("/__sandbox/transfers/advance", post(transfers::advance))
        .route("/__sandbox/transfers/poke", post(transfers::poke))
        .route("/__sandbox/transfers/sweep", post(transfers::sweep))
}
