//! The Automated Micro-deposits timeline: pending deposit on exchange, automatic verification,
//! expiry, optional auto-post; and the ticker that fires due timers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::events::EventType;
use crate::items::VerificationStatus;
use crate::scheduler::Timer;
use crate::state::AppState;

/// Real-time period of the ticker.
const TICK: Duration = Duration::from_millis(20);

fn sim(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Starts the timeline of a newly exchanged Item: for each account pending automatic
/// verification, records the pending $0.01 credit and schedules verification, expiry and
/// (if configured) auto-post.
pub fn start(state: &AppState, access_token: &str) {
    let now = state.clock.now();
    let pending: Vec<String> = state
        .items
        .read(access_token, |item| {
            item.accounts
                .iter()
                .filter(|a| {
                    a.verification_status == Some(VerificationStatus::PendingAutomaticVerification)
                })
                .map(|a| a.account_id.clone())
                .collect()
        })
        .unwrap_or_default();
    for account_id in pending {
        let transfer = state.transfers.record_pending(&account_id, now);
        if let Some(d) = state.verify_after.duration() {
            state.scheduler.schedule(
                now + sim(d),
                Timer::Verify {
                    access_token: access_token.to_owned(),
                    account_id: account_id.clone(),
                },
            );
        }
        state.scheduler.schedule(
            now + sim(state.expire_after),
            Timer::Expire {
                access_token: access_token.to_owned(),
                account_id,
            },
        );
        if let Some(d) = state.auto_post_after.duration() {
            state.scheduler.schedule(
                now + sim(d),
                Timer::AutoPost {
                    bank_transfer_id: transfer,
                },
            );
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
        Timer::AutoPost { bank_transfer_id } => {
            let now = state.clock.now();
            if state
                .transfers
                .transition(&bank_transfer_id, EventType::Posted, None, now)
                .is_ok()
                && let Some(url) = state.bank_transfers_url()
            {
                state.send_bank_transfers_update(&url);
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
