//! `POST /__sandbox/items/sms_verification`: Plaid's SMS verification of a Same-Day deposit
//! finishing (not testable in Plaid's own sandbox): the account becomes `manually_verified` or
//! `verification_failed` and `AUTH / SMS_MICRODEPOSITS_VERIFICATION` is sent.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ControlError, parse};
use crate::same_day;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SmsRequest {
    /// The Item's access token; found from `account_id` when left out.
    access_token: Option<String>,
    account_id: String,
    /// `MANUALLY_VERIFIED` or `VERIFICATION_FAILED`, as in the webhook.
    status: String,
}

/// Applies the outcome and sends the webhook.
pub(super) async fn sms_verification(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: SmsRequest = parse(&raw)?;
    let verified = match req.status.as_str() {
        "MANUALLY_VERIFIED" => true,
        "VERIFICATION_FAILED" => false,
        other => {
            return Err(ControlError::BadRequest(format!(
                "status must be MANUALLY_VERIFIED or VERIFICATION_FAILED, not {other:?}"
            )));
        }
    };
    let token = match req.access_token {
        Some(token) => token,
        None => state
            .items
            .token_of_account(&req.account_id)
            .ok_or_else(|| {
                ControlError::BadRequest(format!("no Item has account {:?}", req.account_id))
            })?,
    };
    same_day::sms_outcome(&state, &token, &req.account_id, verified)?;
    Ok(Json(json!({ "webhook_fired": true })))
}
