//! `POST /__sandbox/items/reset_login`: the bank asks the user to log in again
//! (`ITEM_LOGIN_REQUIRED` and the `ITEM / ERROR` webhook), found by account id, as Plaid's
//! `/sandbox/item/reset_login` does by access token: a demo or a test that plays the app backend
//! never holds the access token, which penny keeps sealed.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ControlError, parse};
use crate::plaid::sandbox_items::require_login;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetLoginRequest {
    /// Any account of the Item.
    account_id: String,
}

/// Requires a new login on the Item holding the account.
pub(super) async fn reset_login(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: ResetLoginRequest = parse(&raw)?;
    let unknown = || ControlError::BadRequest(format!("no Item has account {:?}", req.account_id));
    let token = state
        .items
        .token_of_account(&req.account_id)
        .ok_or_else(unknown)?;
    require_login(&state, &token).ok_or_else(unknown)?;
    Ok(Json(json!({ "reset_login": true })))
}
