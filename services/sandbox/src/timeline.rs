//! The micro-deposit timeline: pending deposit on exchange (both flows), automatic verification
//! and expiry (automated only), optional auto-post; and the ticker that fires due timers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::items::VerificationStatus;
use crate::ledger::shape::{DepositShape, deposits};
use crate::ledger::{Feed, Stage};
use crate::scheduler::Timer;
use crate::state::AppState;

/// Real-time period of the ticker.
const TICK: Duration = Duration::from_millis(20);

fn sim(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The pending accounts of an Item (either micro-deposit flow), its deposit shape and its
/// event feed.
fn pending_accounts(state: &AppState, access_token: &str) -> (Vec<String>, DepositShape, Feed) {
    state
        .items
        .read(access_token, |item| {
            let accounts = item
                .accounts
                .iter()
                .filter(|a| {
                    a.verification_status
                        .is_some_and(VerificationStatus::is_pending)
                })
                .map(|a| a.account_id.clone())
                .collect();
            (accounts, item.deposit_shape, item.event_feed)
        })
        .unwrap_or((Vec::new(), DepositShape::Single, Feed::BankTransfer))
}

/// Records the pending micro-deposits of every pending account of an Item (its shape, in its
/// feed); returns `(account_id, [(transfer_id, direction, amount)])` per account. `credits`
/// fixes the legacy shape's credit amounts in cents.
pub fn record_deposits(
    state: &AppState,
    access_token: &str,
    credits: Option<[u32; 2]>,
) -> Vec<(String, Vec<crate::ledger::TransferFacts>)> {
    let now = state.clock.now();
    let (accounts, shape, feed) = pending_accounts(state, access_token);
    accounts
        .into_iter()
        .map(|account_id| {
            let transfers = deposits(shape, credits)
                .into_iter()
                .map(|(direction, amount)| {
                    let id = state
                        .transfers
                        .create(feed, &account_id, direction, &amount, now);
                    crate::ledger::TransferFacts {
                        id,
                        account_id: account_id.clone(),
                        direction,
                        amount,
                    }
                })
                .collect();
            (account_id, transfers)
        })
        .collect()
}

/// Starts the timeline of a newly exchanged Item: for each pending account, records its
/// pending micro-deposits and schedules (if configured) auto-post; for automated ones also
/// verification and expiry.
pub fn start(state: &AppState, access_token: &str) {
    let now = state.clock.now();
    let feed = state
        .items
        .read(access_token, |item| item.event_feed)
        .unwrap_or(Feed::BankTransfer);
    let automated = |account_id: &str| {
        state
            .items
            .read(access_token, |item| {
                item.accounts.iter().any(|a| {
                    a.account_id == account_id
                        && a.verification_status
                            == Some(VerificationStatus::PendingAutomaticVerification)
                })
            })
            .unwrap_or(false)
    };
    for (account_id, transfers) in record_deposits(state, access_token, None) {
        // A Same-Day deposit is confirmed by its user (update mode or SMS), never by a timer,
        // and has no time limit.
        let timers = automated(&account_id);
        let unmatched = state
            .items
            .read(access_token, |item| item.unmatched)
            .unwrap_or(false);
        if timers
            && !unmatched
            && let Some(d) = state.verify_after.duration()
        {
            state.scheduler.schedule(
                now + sim(d),
                Timer::Verify {
                    access_token: access_token.to_owned(),
                    account_id: account_id.clone(),
                },
            );
        }
        if timers {
            state.scheduler.schedule(
                now + sim(state.expire_after),
                Timer::Expire {
                    access_token: access_token.to_owned(),
                    account_id,
                },
            );
        }
        if let Some(d) = state.auto_post_after.duration() {
            for transfer in transfers {
                state.scheduler.schedule(
                    now + sim(d),
                    Timer::AutoPost {
                        feed,
                        transfer_id: transfer.id,
                    },
                );
            }
        }
    }
}

/// Why a verification outcome could not be applied.
#[derive(Debug, PartialEq, Eq)]
pub enum SetStatusError {
    /// No such Item.
    UnknownItem,
    /// No such account on the Item.
    UnknownAccount,
    /// The account is not pending automatic verification.
    NotPending,
}

/// Moves a pending account to `automatically_verified` or `verification_expired` and sends the
/// AUTH webhook (`AUTOMATICALLY_VERIFIED` / `VERIFICATION_EXPIRED`).
pub fn set_status(
    state: &AppState,
    access_token: &str,
    account_id: &str,
    status: VerificationStatus,
) -> Result<(), SetStatusError> {
    let item_id = state
        .items
        .update(access_token, |item| {
            let account = item
                .account_mut(account_id)
                .ok_or(SetStatusError::UnknownAccount)?;
            if account.verification_status != Some(VerificationStatus::PendingAutomaticVerification)
            {
                return Err(SetStatusError::NotPending);
            }
            account.verification_status = Some(status);
            Ok(item.item_id.clone())
        })
        .ok_or(SetStatusError::UnknownItem)??;
    let code = match status {
        VerificationStatus::AutomaticallyVerified => "AUTOMATICALLY_VERIFIED",
        _ => "VERIFICATION_EXPIRED",
    };
    info!(code, "micro-deposit verification outcome");
    let body = json!({
        "webhook_type": "AUTH",
        "webhook_code": code,
        "item_id": item_id,
        "account_id": account_id,
        "environment": "sandbox",
        "error": null,
    });
    state.send_item_webhook(access_token, &body);
    Ok(())
}

/// Runs one due timer.
pub fn fire(state: &AppState, timer: Timer) {
    match timer {
        Timer::Verify {
            access_token,
            account_id,
        } => {
            // Plaid cannot match a deposit that bounced: the account waits for its expiry.
            if state.transfers.credit_bounced(&account_id) {
                debug!("verify timer: the deposit bounced, not verified");
                return;
            }
            let r = set_status(
                state,
                &access_token,
                &account_id,
                VerificationStatus::AutomaticallyVerified,
            );
            debug!(?r, "verify timer");
        }
        Timer::Expire {
            access_token,
            account_id,
        } => {
            let r = set_status(
                state,
                &access_token,
                &account_id,
                VerificationStatus::VerificationExpired,
            );
            debug!(?r, "expiry timer");
        }
        Timer::AutoPost { feed, transfer_id } => {
            let now = state.clock.now();
            if state
                .transfers
                .transition(feed, &transfer_id, Stage::Posted, None, now)
                .is_ok()
                && let Some(url) = state.bank_transfers_url()
            {
                state.send_events_update(feed, &url);
            }
        }
        Timer::WebhookAttempt { out, attempt } => state.webhooks.deliver(out, attempt),
    }
}

/// Fires due timers every 20 ms (real) until `shutdown`.
pub async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {
                for timer in state.scheduler.pop_due(state.clock.now()) {
                    fire(&state, timer);
                }
            }
        }
    }
}
