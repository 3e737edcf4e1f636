//! `POST /__sandbox/link/complete`: the user finishing Link with a link token.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{ControlError, parse};
use crate::error::ApiError;
use crate::items::{HOUNDSTOOTH, SAME_DAY_ACCOUNT, SAME_DAY_ROUTING, VerificationStatus};
use crate::ledger::shape::DepositShape;
use crate::plaid::sandbox_items::{
    GOOD_USERNAME, MICRODEPOSITS_PASSWORD, UNMATCHED_PASSWORD, create_item, create_same_day_item,
};
use crate::same_day;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CompleteRequest {
    link_token: String,
    institution_id: Option<String>,
    username: Option<String>,
    password: Option<String>,
    /// The micro-deposits the account gets at exchange (default `single`).
    deposit_shape: Option<DepositShape>,
    /// Same-Day: the numbers the user types instead of logging in (sandbox: routing
    /// 110000000, account 1111222233330000). Needs a token with
    /// `auth.same_day_microdeposits_enabled`.
    routing_number: Option<String>,
    account_number: Option<String>,
    /// Update mode on a Same-Day Item: the code from the deposit's description (sandbox: ABC).
    code: Option<String>,
}

/// An account as in Link's `onSuccess` metadata.
#[derive(Serialize)]
pub(super) struct LinkAccount {
    id: String,
    name: &'static str,
    mask: &'static str,
    #[serde(rename = "type")]
    type_: &'static str,
    subtype: &'static str,
    verification_status: Option<VerificationStatus>,
}

#[derive(Serialize)]
pub(super) struct Institution {
    institution_id: String,
    name: &'static str,
}

#[derive(Serialize)]
pub(super) struct CompleteResponse {
    public_token: String,
    link_session_id: String,
    /// `null` for a Same-Day Item (numbers typed, no bank chosen), as in Plaid's `onSuccess`.
    institution: Option<Institution>,
    accounts: Vec<LinkAccount>,
}

/// Creates the Item for the link token (or repairs it in update mode) and returns a public token.
#[instrument(skip_all)]
pub(super) async fn complete(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<CompleteResponse>, ControlError> {
    let req: CompleteRequest = parse(&raw)?;
    let now = state.clock.now();
    let link = state.tokens.link(&req.link_token, now)?;
    let (access_token, new_item) = match link.access_token {
        // Update mode: the user logs in again (the Item leaves ITEM_LOGIN_REQUIRED) and, on a
        // Same-Day Item, enters the deposit's code.
        Some(token) => {
            same_day::confirm(&state, &token, req.code.as_deref())?;
            state
                .items
                .update(&token, |item| item.login_required = false)
                .ok_or_else(ApiError::invalid_access_token)?;
            (token, false)
        }
        None if req.routing_number.is_some() || req.account_number.is_some() => {
            if !link.same_day_microdeposits {
                return Err(ControlError::BadRequest(
                    "the link token does not enable same-day micro-deposits (auth.same_day_microdeposits_enabled)".into(),
                ));
            }
            let typed = (req.routing_number.as_deref(), req.account_number.as_deref());
            if typed != (Some(SAME_DAY_ROUTING), Some(SAME_DAY_ACCOUNT)) {
                return Err(ControlError::BadRequest(format!(
                    "the sandbox's Same-Day numbers are routing_number {SAME_DAY_ROUTING} and account_number {SAME_DAY_ACCOUNT}"
                )));
            }
            let token = create_same_day_item(&state, link.webhook.clone(), link.products.clone());
            if let Some(shape) = req.deposit_shape {
                state
                    .items
                    .update(&token, |item| item.deposit_shape = shape);
            }
            (token, true)
        }
        None => {
            let password = req.password.as_deref().unwrap_or(MICRODEPOSITS_PASSWORD);
            if matches!(password, MICRODEPOSITS_PASSWORD | UNMATCHED_PASSWORD)
                && !link.automated_microdeposits
            {
                return Err(ControlError::BadRequest(
                    "the link token does not enable automated micro-deposits (auth.automated_microdeposits_enabled); use password pass_good for instant auth".into(),
                ));
            }
            let token = create_item(
                &state,
                req.institution_id.as_deref().unwrap_or(HOUNDSTOOTH),
                req.username.as_deref().unwrap_or(GOOD_USERNAME),
                password,
                link.webhook.clone(),
                link.products.clone(),
            )?;
            if let Some(shape) = req.deposit_shape {
                state
                    .items
                    .update(&token, |item| item.deposit_shape = shape);
            }
            (token, true)
        }
    };
    let public_token = state.tokens.add_public(&access_token, now, new_item);
    let response = state
        .items
        .read(&access_token, |item| CompleteResponse {
            public_token,
            link_session_id: uuid::Uuid::new_v4().to_string(),
            institution: (!item.institution_id.is_empty()).then(|| Institution {
                institution_id: item.institution_id.clone(),
                name: item.institution_name,
            }),
            accounts: item
                .accounts
                .iter()
                .map(|a| LinkAccount {
                    id: a.account_id.clone(),
                    name: a.name,
                    mask: a.mask,
                    type_: "depository",
                    subtype: a.subtype,
                    verification_status: a.verification_status,
                })
                .collect(),
        })
        .ok_or_else(ApiError::invalid_access_token)?;
    Ok(Json(response))
}
