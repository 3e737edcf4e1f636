//! `POST /__sandbox/link/complete`: the user finishing Link with a link token.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{ControlError, parse};
use crate::error::ApiError;
use crate::items::{HOUNDSTOOTH, VerificationStatus};
use crate::plaid::sandbox_items::{GOOD_USERNAME, MICRODEPOSITS_PASSWORD, create_item};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CompleteRequest {
    link_token: String,
    institution_id: Option<String>,
    username: Option<String>,
    password: Option<String>,
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
    institution: Institution,
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
        // Update mode: the user logs in again; the Item leaves ITEM_LOGIN_REQUIRED.
        Some(token) => {
            state
                .items
                .update(&token, |item| item.login_required = false)
                .ok_or_else(ApiError::invalid_access_token)?;
            (token, false)
        }
        None => {
            let password = req.password.as_deref().unwrap_or(MICRODEPOSITS_PASSWORD);
            if password == MICRODEPOSITS_PASSWORD && !link.automated_microdeposits {
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
            (token, true)
        }
    };
    let public_token = state.tokens.add_public(&access_token, now, new_item);
    let response = state
        .items
        .read(&access_token, |item| CompleteResponse {
            public_token,
            link_session_id: uuid::Uuid::new_v4().to_string(),
            institution: Institution {
                institution_id: item.institution_id.clone(),
                name: item.institution_name,
            },
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
