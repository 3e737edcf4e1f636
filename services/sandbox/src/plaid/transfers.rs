//! `/bank_transfer/event/sync` and `/transfer/event/sync`.

use super::{Ctx, reply};
use crate::error::ApiError;
use crate::ledger::{BankTransferPage, Feed, TransferPage};

/// Events after `after_id` (up to `count`, 1..=25, default 25). No `has_more`, as in Plaid.
pub(super) fn bank_transfer_event_sync(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let after_id = f.opt_int("after_id", 0, i64::MAX)?.unwrap_or(0);
    let count = f.opt_int("count", 1, 25)?.unwrap_or(25);
    ctx.state.transfers.page(
        Feed::BankTransfer,
        after_id.unsigned_abs(),
        count.unsigned_abs() as usize,
        |events, _more| reply(&BankTransferPage::new(events, ctx.request_id)),
    )
}

/// Plaid Transfer's event sync: events after `after_id` (up to `count`, 1..=500, default 100)
/// and `has_more`. `originator_client_id` and `funding_account_id` filter by those fields,
/// which the sandbox's micro-deposit events never carry (so a filter returns none).
pub(super) fn transfer_event_sync(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let after_id = f.opt_int("after_id", 0, i64::MAX)?.unwrap_or(0);
    let count = f.opt_int("count", 1, 500)?.unwrap_or(100);
    let filtered =
        f.opt_str("originator_client_id")?.is_some() || f.opt_str("funding_account_id")?.is_some();
    ctx.state.transfers.page(
        Feed::Transfer,
        after_id.unsigned_abs(),
        count.unsigned_abs() as usize,
        |events, more| {
            let events = if filtered { &events[..0] } else { events };
            reply(&TransferPage::new(
                events,
                more && !filtered,
                ctx.request_id,
            ))
        },
    )
}
