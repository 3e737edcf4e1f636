//! `/webhook_verification_key/get`.

use serde_json::json;

use super::{Ctx, reply};
use crate::error::ApiError;

/// The public key for `key_id` (expired keys are still served, with `expired_at` set).
pub(super) fn webhook_verification_key_get(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let kid = ctx.fields().str("key_id")?;
    let key = ctx
        .state
        .webhooks
        .keys()
        .get(kid)
        .ok_or_else(ApiError::invalid_key_id)?;
    reply(&json!({ "key": key, "request_id": ctx.request_id }))
}
