//! `POST /__sandbox/webhooks/sign`: a `Plaid-Verification` token for a body of the caller's
//! choosing, signed exactly as the sandbox signs its webhooks. Receivers under test (ingress) and
//! load generators use it to get tokens a verifier trusts, with a chosen `iat`, chosen claims or an
//! older (expired) key.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ControlError, parse};
use crate::keys::Keys;
use crate::state::AppState;

/// The request: `body` is signed byte for byte.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    body: String,
    /// Unix seconds; default now.
    iat: Option<i64>,
    /// Replaces the whole claim set (for malformed-token tests); `iat` is then ignored.
    claims: Option<Value>,
    /// Sign with this key (current or expired); default the current key.
    kid: Option<String>,
}

/// Signs and answers `{plaid_verification, kid}`.
pub(super) async fn sign(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: SignRequest = parse(&raw)?;
    let claims = req
        .claims
        .unwrap_or_else(|| Keys::webhook_claims(req.body.as_bytes(), req.iat));
    let (token, kid) = state
        .webhooks
        .keys()
        .sign_claims(&claims, req.kid.as_deref())
        .map_err(|e| ControlError::BadRequest(e.to_string()))?;
    Ok(Json(json!({ "plaid_verification": token, "kid": kid })))
}
