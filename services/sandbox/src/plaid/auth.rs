//! `/accounts/get` and `/auth/get`.

use serde::Serialize;

use super::{Ctx, reply};
use crate::error::ApiError;
use crate::items::{Account, Item, VerificationStatus};
use crate::model::{AccountJson, ItemJson, NumbersJson};

#[derive(Serialize)]
struct AccountsResponse<'a> {
    accounts: Vec<AccountJson<'a>>,
    item: ItemJson<'a>,
    request_id: &'a str,
}

#[derive(Serialize)]
struct AuthResponse<'a> {
    accounts: Vec<AccountJson<'a>>,
    numbers: NumbersJson<'a>,
    item: ItemJson<'a>,
    request_id: &'a str,
}

/// The accounts selected by `options.account_ids` (all when absent); `INVALID_ACCOUNT_ID` if one
/// is not on the Item.
fn selected<'i>(ctx: &Ctx<'_>, item: &'i Item) -> Result<Vec<&'i Account>, ApiError> {
    let ids = match ctx.fields().opt_object("options", &["account_ids"])? {
        Some(options) => options.opt_str_array("account_ids")?,
        None => None,
    };
    match ids {
        None => Ok(item.accounts.iter().collect()),
        Some(ids) => ids
            .iter()
            .map(|id| {
                item.accounts
                    .iter()
                    .find(|a| a.account_id == *id)
                    .ok_or_else(ApiError::invalid_account_id)
            })
            .collect(),
    }
}

/// `/accounts/get`.
pub(super) fn accounts_get(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    ctx.with_item(|item| {
        if item.login_required {
            return Err(ApiError::item_login_required());
        }
        let accounts = selected(ctx, item)?;
        reply(&AccountsResponse {
            accounts: accounts.into_iter().map(AccountJson::from).collect(),
            item: ItemJson::from(item),
            request_id: ctx.request_id,
        })
    })
}

/// `/auth/get`: `PRODUCT_NOT_READY` while a selected account is pending (either flow).
pub(super) fn auth_get(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    ctx.with_item(|item| {
        if item.login_required {
            return Err(ApiError::item_login_required());
        }
        let accounts = selected(ctx, item)?;
        for a in &accounts {
            match a.verification_status {
                Some(
                    VerificationStatus::PendingAutomaticVerification
                    | VerificationStatus::PendingManualVerification,
                ) => {
                    return Err(ApiError::product_not_ready());
                }
                Some(
                    VerificationStatus::VerificationExpired
                    | VerificationStatus::VerificationFailed,
                ) => {
                    return Err(ApiError::verification_expired());
                }
                _ => {}
            }
        }
        reply(&AuthResponse {
            numbers: NumbersJson::ach(&accounts),
            accounts: accounts.iter().map(|a| AccountJson::from(*a)).collect(),
            item: ItemJson::from(item),
            request_id: ctx.request_id,
        })
    })
}
