//! `GET|POST|DELETE /__sandbox/faults`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};
use tracing::instrument;

use super::{ControlError, parse};
use crate::faults::{EndpointFaultRequest, WebhookFaults};
use crate::state::AppState;

fn list_json(state: &AppState) -> Json<Value> {
    Json(json!({ "endpoints": state.faults.list(), "webhooks": state.webhooks.faults() }))
}

/// Lists active faults.
pub(super) async fn list(State(state): State<Arc<AppState>>) -> Json<Value> {
    list_json(&state)
}

/// Adds an endpoint fault (`{endpoint, error?, count?, probability?, latency_ms?}`) or sets the
/// webhook faults (`{webhooks: {duplicates?, reorder_window?, drop_next?, drop_probability?}}`).
#[instrument(skip_all)]
pub(super) async fn add(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let value: Value = parse(&raw)?;
    match value.get("webhooks") {
        Some(webhooks) => {
            if value.as_object().is_some_and(|o| o.len() > 1) {
                return Err(ControlError::BadRequest(
                    "send webhook faults alone: {\"webhooks\": {...}}".into(),
                ));
            }
            let faults: WebhookFaults = serde_json::from_value(webhooks.clone())
                .map_err(|e| ControlError::BadRequest(format!("webhooks: {e}")))?;
            faults.validate().map_err(ControlError::BadRequest)?;
            let reorder_off = faults.reorder_window.is_none();
            state.webhooks.set_faults(faults);
            if reorder_off {
                state.webhooks.flush_held();
            }
        }
        None => {
            let req: EndpointFaultRequest = serde_json::from_value(value)
                .map_err(|e| ControlError::BadRequest(format!("invalid fault: {e}")))?;
            state.faults.add(req).map_err(ControlError::BadRequest)?;
        }
    }
    Ok(list_json(&state))
}

/// Clears every fault; webhooks held for reordering are released.
#[instrument(skip_all)]
pub(super) async fn clear(State(state): State<Arc<AppState>>) -> Json<Value> {
    state.faults.clear();
    state.webhooks.set_faults(WebhookFaults::default());
    let released = state.webhooks.flush_held();
    Json(json!({ "cleared": true, "released_webhooks": released }))
}
