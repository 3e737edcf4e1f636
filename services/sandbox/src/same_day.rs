//! Same-Day Micro-deposits after linking: the user confirming the deposit's code in Link's
//! update mode (three wrong codes lock the Item, as Plaid does), and the SMS verification that
//! ends with `AUTH / SMS_MICRODEPOSITS_VERIFICATION`.

use serde_json::json;
use tracing::info;

use crate::error::ApiError;
use crate::items::{SAME_DAY_ATTEMPTS, SAME_DAY_CODE, VerificationStatus};
use crate::state::AppState;

/// What an update-mode Link session did to a Same-Day Item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// The Item has no account waiting for a code: nothing to confirm.
    NothingPending,
    /// The code was right: the pending accounts are `manually_verified`.
    Verified,
}

/// The user enters `code` for the Item's pending Same-Day deposit(s). A right code (compared
/// without regard to case) verifies them; a wrong one counts, and the third locks the Item
/// (`verification_failed`) with `TOO_MANY_VERIFICATION_ATTEMPTS`.
pub fn confirm(
    state: &AppState,
    access_token: &str,
    code: Option<&str>,
) -> Result<Confirmation, ApiError> {
    state
        .items
        .update(access_token, |item| {
            if item.locked {
                return Err(ApiError::too_many_verification_attempts());
            }
            let pending = |s: Option<VerificationStatus>| {
                s == Some(VerificationStatus::PendingManualVerification)
            };
            if !item.accounts.iter().any(|a| pending(a.verification_status)) {
                return Ok(Confirmation::NothingPending);
            }
            let code = code.ok_or_else(|| {
                ApiError::invalid_field(
                    "code is required: the Item has a Same-Day micro-deposit to confirm",
                )
            })?;
            let right = code.trim().eq_ignore_ascii_case(SAME_DAY_CODE);
            let outcome = if right {
                VerificationStatus::ManuallyVerified
            } else {
                item.wrong_codes = item.wrong_codes.saturating_add(1);
                if item.wrong_codes < SAME_DAY_ATTEMPTS {
                    return Err(ApiError::incorrect_deposit_verification(
                        SAME_DAY_ATTEMPTS - item.wrong_codes,
                    ));
                }
                item.locked = true;
                VerificationStatus::VerificationFailed
            };
            for a in item.accounts.iter_mut() {
                if pending(a.verification_status) {
                    a.verification_status = Some(outcome);
                }
            }
            info!(item_id = %item.item_id, verified = right, "Same-Day code entered");
            if right {
                Ok(Confirmation::Verified)
            } else {
                Err(ApiError::too_many_verification_attempts())
            }
        })
        .ok_or_else(ApiError::invalid_access_token)?
}

/// Plaid's SMS verification of a pending Same-Day account finished: `verified` or not. Sets the
/// account's status and sends `AUTH / SMS_MICRODEPOSITS_VERIFICATION` with `status`
/// `MANUALLY_VERIFIED` or `VERIFICATION_FAILED` (a failure locks the Item).
pub fn sms_outcome(
    state: &AppState,
    access_token: &str,
    account_id: &str,
    verified: bool,
) -> Result<(), ApiError> {
    let item_id = state
        .items
        .update(access_token, |item| {
            let account = item
                .account_mut(account_id)
                .ok_or_else(ApiError::invalid_account_id)?;
            if account.verification_status != Some(VerificationStatus::PendingManualVerification) {
                return Err(ApiError::invalid_field(
                    "account_id must refer to an account pending manual verification",
                ));
            }
            account.verification_status = Some(if verified {
                VerificationStatus::ManuallyVerified
            } else {
                VerificationStatus::VerificationFailed
            });
            if !verified {
                item.locked = true;
            }
            Ok(item.item_id.clone())
        })
        .ok_or_else(ApiError::invalid_access_token)??;
    let status = if verified {
        "MANUALLY_VERIFIED"
    } else {
        "VERIFICATION_FAILED"
    };
    let body = json!({
        "webhook_type": "AUTH",
        "webhook_code": "SMS_MICRODEPOSITS_VERIFICATION",
        "status": status,
        "item_id": item_id,
        "account_id": account_id,
        "environment": "sandbox",
    });
    state.send_item_webhook(access_token, &body);
    Ok(())
}
