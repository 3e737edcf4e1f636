//! `/sandbox/bank_transfer/simulate`, `/sandbox/bank_transfer/fire_webhook`,
//! `/sandbox/transfer/simulate` and `/sandbox/transfer/fire_webhook`.

use super::{Ctx, is_url, request_id_only};
use crate::error::ApiError;
use crate::ledger::{FailureReason, Feed, Stage, TransitionError};
use crate::request::Fields;

/// Moves a micro-deposit along (pending→posted|failed, posted→reversed). Sends no webhook, as in
/// Plaid: call `/sandbox/bank_transfer/fire_webhook` afterwards.
pub(super) fn simulate(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let id = f.str("bank_transfer_id")?;
    let to = match f.str("event_type")? {
        "posted" => Stage::Posted,
        "failed" => Stage::Failed,
        "reversed" => Stage::Returned,
        _ => {
            return Err(ApiError::invalid_field(
                "event_type must be one of posted, failed, reversed",
            ));
        }
    };
    let failure = failure_reason(&f, &["ach_return_code", "description"])?;
    move_transfer(ctx, Feed::BankTransfer, id, to, failure, "bank_transfer_id")
}

/// Moves a Transfer micro-deposit along (pending→posted|failed, posted→settled|returned,
/// settled→funds_available|returned, funds_available→returned). No webhook: call
/// `/sandbox/transfer/fire_webhook` (Plaid's Sandbox sends no Transfer webhooks by itself).
pub(super) fn transfer_simulate(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let id = f.str("transfer_id")?;
    let to = match f.str("event_type")? {
        "posted" => Stage::Posted,
        "settled" => Stage::Settled,
        "funds_available" => Stage::FundsAvailable,
        "failed" => Stage::Failed,
        "returned" => Stage::Returned,
        _ => {
            return Err(ApiError::invalid_field(
                "event_type must be one of posted, settled, funds_available, failed, returned",
            ));
        }
    };
    f.opt_str("test_clock_id")?;
    if let Some(url) = f.opt_str("webhook")?
        && !is_url(url)
    {
        return Err(ApiError::invalid_field(
            "webhook must be a valid http or https URL",
        ));
    }
    let failure = failure_reason(&f, &["failure_code", "ach_return_code", "description"])?;
    move_transfer(ctx, Feed::Transfer, id, to, failure, "transfer_id")
}

fn move_transfer(
    ctx: &Ctx<'_>,
    feed: Feed,
    id: &str,
    to: Stage,
    failure: Option<FailureReason>,
    field: &str,
) -> Result<Vec<u8>, ApiError> {
    let now = ctx.state.clock.now();
    ctx.state
        .transfers
        .transition(feed, id, to, failure, now)
        .map_err(|e| match e {
            TransitionError::Unknown => {
                ApiError::invalid_field(format!("{field} does not match any transfer"))
            }
            e @ TransitionError::Invalid { .. } => {
                ApiError::sandbox("SANDBOX_TRANSFER_EVENT_TRANSITION_INVALID", e.to_string())
            }
        })?;
    request_id_only(ctx)
}

/// `failure_reason` with the given fields; the return code (`ach_return_code`, or Transfer's
/// `failure_code`) must look like `R01`.
fn failure_reason(f: &Fields<'_>, allowed: &[&str]) -> Result<Option<FailureReason>, ApiError> {
    let Some(fr) = f.opt_object("failure_reason", allowed)? else {
        return Ok(None);
    };
    let code = match fr.opt_str("ach_return_code")? {
        Some(code) => Some(code),
        None if allowed.contains(&"failure_code") => fr.opt_str("failure_code")?,
        None => None,
    };
    if let Some(c) = code
        && !(c.len() == 3 && c.starts_with('R') && c[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::invalid_field(
            "failure_reason.ach_return_code must look like R01",
        ));
    }
    let description = fr.opt_str("description")?.unwrap_or_default();
    Ok(Some(FailureReason {
        ach_return_code: code.map(str::to_owned),
        description: description.to_owned(),
    }))
}

/// Sends `BANK_TRANSFERS_EVENTS_UPDATE` to the given URL.
pub(super) fn fire_webhook(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    fire(ctx, Feed::BankTransfer)
}

/// Sends `TRANSFER_EVENTS_UPDATE` to the given URL.
pub(super) fn transfer_fire_webhook(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    fire(ctx, Feed::Transfer)
}

fn fire(ctx: &Ctx<'_>, feed: Feed) -> Result<Vec<u8>, ApiError> {
    let url = ctx.fields().str("webhook")?;
    if !is_url(url) {
        return Err(ApiError::sandbox(
            "SANDBOX_WEBHOOK_INVALID",
            "webhook must be a valid http or https URL",
        ));
    }
    ctx.state.send_events_update(feed, url);
    request_id_only(ctx)
}
