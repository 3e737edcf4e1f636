//! `/sandbox/bank_transfer/simulate` and `/sandbox/bank_transfer/fire_webhook`.

use super::{Ctx, is_url, request_id_only};
use crate::error::ApiError;
use crate::events::{EventType, FailureReason, TransitionError};

/// Moves a micro-deposit along (pending→posted|failed, posted→reversed). Sends no webhook, as in
/// Plaid: call `/sandbox/bank_transfer/fire_webhook` afterwards.
pub(super) fn simulate(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let id = f.str("bank_transfer_id")?;
    let to = match f.str("event_type")? {
        "posted" => EventType::Posted,
        "failed" => EventType::Failed,
        "reversed" => EventType::Reversed,
        _ => {
            return Err(ApiError::invalid_field(
                "event_type must be one of posted, failed, reversed",
            ));
        }
    };
    let failure_reason =
        match f.opt_object("failure_reason", &["ach_return_code", "description"])? {
            None => None,
            Some(fr) => {
                let code = fr.opt_str("ach_return_code")?;
                if let Some(c) = code
                    && !(c.len() == 3
                        && c.starts_with('R')
                        && c[1..].bytes().all(|b| b.is_ascii_digit()))
                {
                    return Err(ApiError::invalid_field(
                        "failure_reason.ach_return_code must look like R01",
                    ));
                }
                let description = fr.opt_str("description")?.unwrap_or_default();
                Some(FailureReason {
                    ach_return_code: code.map(str::to_owned),
                    description: if description.is_empty() {
                        code.map(|c| format!("ACH return {c}")).unwrap_or_default()
                    } else {
                        description.to_owned()
                    },
                })
            }
        };
    let now = ctx.state.clock.now();
    ctx.state
        .transfers
        .transition(id, to, failure_reason, now)
        .map_err(|e| match e {
            TransitionError::Unknown => {
                ApiError::invalid_field("bank_transfer_id does not match any bank transfer")
            }
            e @ TransitionError::Invalid { .. } => {
                ApiError::sandbox("SANDBOX_TRANSFER_EVENT_TRANSITION_INVALID", e.to_string())
            }
        })?;
    request_id_only(ctx)
}

/// Sends `BANK_TRANSFERS_EVENTS_UPDATE` to the given URL.
pub(super) fn fire_webhook(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let url = ctx.fields().str("webhook")?;
    if !is_url(url) {
        return Err(ApiError::sandbox(
            "SANDBOX_WEBHOOK_INVALID",
            "webhook must be a valid http or https URL",
        ));
    }
    ctx.state.send_bank_transfers_update(url);
    request_id_only(ctx)
}
