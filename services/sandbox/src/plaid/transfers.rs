//! `/bank_transfer/event/sync` and `/transfer/event/sync`.

use serde_json::json;

use super::{Ctx, reply};
use crate::error::ApiError;

/// Events after `after_id` (up to `count`, 1..=25, default 25). No `has_more`, as in Plaid.
pub(super) fn bank_transfer_event_sync(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let after_id = f.opt_int("after_id", 0, i64::MAX)?.unwrap_or(0);
    let count = f.opt_int("count", 1, 25)?.unwrap_or(25);
    let events = ctx.state.transfers.after(after_id as u64, count as usize);
    reply(&json!({ "bank_transfer_events": events, "request_id": ctx.request_id }))
}

/// Plaid Transfer's event sync (count 1..=500, default 100, `has_more`). The sandbox does not
/// simulate the Transfer product, so the list is always empty.
pub(super) fn transfer_event_sync(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    f.opt_int("after_id", 0, i64::MAX)?;
    f.opt_int("count", 1, 500)?;
    f.opt_str("originator_client_id")?;
    f.opt_str("funding_account_id")?;
    reply(&json!({ "transfer_events": [], "has_more": false, "request_id": ctx.request_id }))
}
