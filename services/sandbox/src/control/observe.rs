//! Delivery log, stats and seeding.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::instrument;

use super::{ControlError, parse};
use crate::items::Item;
use crate::state::AppState;

/// Most Items one seed call may create.
const MAX_SEED: usize = 1_000_000;

/// `GET /__sandbox/webhooks`: every delivery attempt, oldest first.
pub(super) async fn webhooks(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "attempts": state.webhooks.log() }))
}

/// `DELETE /__sandbox/webhooks`.
pub(super) async fn webhooks_clear(State(state): State<Arc<AppState>>) -> Json<Value> {
    state.webhooks.clear_log();
    Json(json!({ "cleared": true }))
}

/// `POST /__sandbox/webhooks/flush`: releases webhooks held by the reorder fault.
pub(super) async fn webhooks_flush(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "released_webhooks": state.webhooks.flush_held() }))
}

/// `GET /__sandbox/stats`.
pub(super) async fn stats(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({
        "endpoints": state.stats.snapshot(),
        "items": state.items.len(),
        "pending_timers": state.scheduler.len(),
    }))
}

/// `DELETE /__sandbox/stats`.
pub(super) async fn stats_reset(State(state): State<Arc<AppState>>) -> Json<Value> {
    state.stats.reset();
    Json(json!({ "reset": true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SeedRequest {
    count: usize,
    webhook: Option<String>,
}

/// `POST /__sandbox/seed {count, webhook?}`: creates verified instant-auth Items and returns
/// their access tokens.
#[instrument(skip_all)]
pub(super) async fn seed(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: SeedRequest = parse(&raw)?;
    if req.count == 0 || req.count > MAX_SEED {
        return Err(ControlError::BadRequest(format!(
            "count must be between 1 and {MAX_SEED}"
        )));
    }
    let state2 = Arc::clone(&state);
    let tokens = tokio::task::spawn_blocking(move || {
        let now = state2.clock.now();
        (0..req.count)
            .map(|_| {
                let item =
                    Item::instant("ins_109508", req.webhook.clone(), vec!["auth".into()], now);
                state2.add_item(item)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ControlError::Internal(e.into()))?;
    Ok(Json(
        json!({ "count": tokens.len(), "access_tokens": tokens }),
    ))
}
