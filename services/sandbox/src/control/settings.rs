//! Clock, signing keys, BANK_TRANSFERS webhook URL and rate limits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::instrument;

use super::{ControlError, parse};
use crate::config::RateLimitMode;
use crate::endpoint::Endpoint;
use crate::plaid::is_url;
use crate::ratelimit::Limit;
use crate::state::AppState;

fn clock_json(state: &AppState) -> Json<Value> {
    Json(json!({ "now": state.clock.now().to_rfc3339(), "speed": state.clock.speed() }))
}

/// `GET /__sandbox/clock`.
pub(super) async fn clock_get(State(state): State<Arc<AppState>>) -> Json<Value> {
    clock_json(&state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClockRequest {
    speed: Option<f64>,
    advance_seconds: Option<f64>,
}

/// `POST /__sandbox/clock {speed?, advance_seconds?}`.
#[instrument(skip_all)]
pub(super) async fn clock_set(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: ClockRequest = parse(&raw)?;
    let advance = match req.advance_seconds {
        Some(s) if !(0.0..=10.0 * 365.0 * 86_400.0).contains(&s) => {
            return Err(ControlError::BadRequest(
                "advance_seconds must be between 0 and 10 years".into(),
            ));
        }
        other => other,
    };
    if let Some(speed) = req.speed {
        state
            .clock
            .set_speed(speed)
            .map_err(|e| ControlError::BadRequest(e.to_string()))?;
    }
    if let Some(s) = advance {
        state.clock.advance(Duration::from_secs_f64(s));
    }
    Ok(clock_json(&state))
}

/// `GET /__sandbox/keys`.
pub(super) async fn keys_list(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "keys": state.webhooks.keys().all() }))
}

/// `POST /__sandbox/keys/rotate`.
#[instrument(skip_all)]
pub(super) async fn keys_rotate(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Value>, ControlError> {
    let (kid, expired) = state.webhooks.keys().rotate()?;
    Ok(Json(json!({ "kid": kid, "expired_kid": expired })))
}

/// `GET /__sandbox/bank_transfers_webhook`.
pub(super) async fn bank_transfers_webhook_get(State(state): State<Arc<AppState>>) -> Json<Value> {
    Json(json!({ "url": state.bank_transfers_url() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UrlRequest {
    url: Option<String>,
}

/// `POST /__sandbox/bank_transfers_webhook {url}` (null clears it).
pub(super) async fn bank_transfers_webhook_set(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: UrlRequest = parse(&raw)?;
    if req.url.as_deref().is_some_and(|u| !is_url(u)) {
        return Err(ControlError::BadRequest(
            "url must be an http or https URL".into(),
        ));
    }
    *state
        .bank_transfers_webhook
        .write()
        .unwrap_or_else(|e| e.into_inner()) = req.url.clone();
    Ok(Json(json!({ "url": req.url })))
}

fn rate_limits_json(state: &AppState) -> Json<Value> {
    let (mode, table) = state.rate.snapshot();
    let limits: BTreeMap<&str, Limit> = Endpoint::ALL
        .into_iter()
        .map(|ep| (ep.path(), table[ep.index()]))
        .filter(|(_, l)| l.per_item.is_some() || l.per_client.is_some())
        .collect();
    Json(json!({ "mode": mode, "limits": limits }))
}

/// `GET /__sandbox/rate_limits`.
pub(super) async fn rate_limits_get(State(state): State<Arc<AppState>>) -> Json<Value> {
    rate_limits_json(&state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RateLimitsRequest {
    mode: Option<RateLimitMode>,
    #[serde(default)]
    overrides: BTreeMap<String, Limit>,
}

/// `POST /__sandbox/rate_limits {mode?, overrides?: {path: {per_item?, per_client?}}}`.
/// `mode` resets the table to Plaid's; an override replaces both limits of its endpoint
/// (an absent limit means unlimited).
#[instrument(skip_all)]
pub(super) async fn rate_limits_set(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: RateLimitsRequest = parse(&raw)?;
    let mut overrides = Vec::new();
    for (path, limit) in req.overrides {
        let ep = Endpoint::from_path(&path).ok_or_else(|| {
            ControlError::BadRequest(format!("overrides: unknown endpoint {path:?}"))
        })?;
        if limit.per_item == Some(0) || limit.per_client == Some(0) {
            return Err(ControlError::BadRequest(
                "limits must be at least 1 per minute".into(),
            ));
        }
        overrides.push((ep, limit));
    }
    state.rate.configure(req.mode, &overrides);
    Ok(rate_limits_json(&state))
}
