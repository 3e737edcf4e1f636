//! `/sandbox/public_token/create`, `/sandbox/item/set_verification_status`,
//! `/sandbox/item/reset_login`, `/sandbox/item/fire_webhook`.

use serde_json::{Value, json};

use super::{Ctx, PRODUCTS, is_url, reply, request_id_only};
use crate::error::ApiError;
use crate::items::{Item, VerificationStatus, valid_institution};
use crate::state::AppState;
use crate::timeline::{self, SetStatusError};

/// Sandbox password giving an Automated Micro-deposits Item.
pub const MICRODEPOSITS_PASSWORD: &str = "microdeposits_good";
/// Sandbox password giving an Automated Micro-deposits Item whose deposit is never matched: no
/// automatic verification, `VERIFICATION_EXPIRED` after `--expire-after` (penny's simulator
/// only; in Plaid's sandbox that outcome needs `/sandbox/item/set_verification_status`).
pub const UNMATCHED_PASSWORD: &str = "microdeposits_unmatched";
/// Sandbox password giving a Same-Day Micro-deposits Item (as if the user typed the sandbox
/// Same-Day numbers in Link; penny's simulator only, Plaid's sandbox has no such password).
pub const SAME_DAY_PASSWORD: &str = "same_day_good";
/// Sandbox password giving an instant-auth Item.
pub const GOOD_PASSWORD: &str = "pass_good";
/// The only sandbox username recognised.
pub const GOOD_USERNAME: &str = "user_good";

/// Creates an Item as if the user logged in with `username`/`password` at `institution_id`
/// (`user_good` + `pass_good`: instant auth; `user_good` + `microdeposits_good`: automated
/// micro-deposits; `user_good` + `same_day_good`: Same-Day micro-deposits, any institution).
/// Returns its access token.
pub(crate) fn create_item(
    state: &AppState,
    institution_id: &str,
    username: &str,
    password: &str,
    webhook: Option<String>,
    products: Vec<String>,
) -> Result<String, ApiError> {
    if (username, password) == (GOOD_USERNAME, SAME_DAY_PASSWORD) {
        return Ok(create_same_day_item(state, webhook, products));
    }
    if !valid_institution(institution_id) {
        return Err(ApiError::invalid_institution());
    }
    let now = state.clock.now();
    let mut item = match (username, password) {
        (GOOD_USERNAME, GOOD_PASSWORD) => Item::instant(institution_id, webhook, products, now),
        (GOOD_USERNAME, MICRODEPOSITS_PASSWORD) => {
            Item::automated_microdeposits(institution_id, webhook, products, now)
        }
        (GOOD_USERNAME, UNMATCHED_PASSWORD) => Item {
            unmatched: true,
            ..Item::automated_microdeposits(institution_id, webhook, products, now)
        },
        _ => return Err(ApiError::invalid_credentials()),
    };
    item.event_feed = state.event_feed;
    Ok(state.add_item(item))
}

/// Creates a Same-Day Micro-deposits Item (numbers typed in Link, no institution); returns its
/// access token.
pub(crate) fn create_same_day_item(
    state: &AppState,
    webhook: Option<String>,
    products: Vec<String>,
) -> String {
    let mut item = Item::same_day_microdeposits(webhook, products, state.clock.now());
    item.event_feed = state.event_feed;
    state.add_item(item)
}

/// `/sandbox/public_token/create`.
pub(super) fn public_token_create(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let institution_id = f.str("institution_id")?;
    let products = f.opt_str_array("initial_products")?.unwrap_or_default();
    if products.is_empty() {
        return Err(ApiError::invalid_field(
            "initial_products must contain at least one product",
        ));
    }
    if let Some(bad) = products.iter().find(|p| !PRODUCTS.contains(p)) {
        return Err(ApiError::invalid_field(format!(
            "initial_products contains an invalid product: {bad}"
        )));
    }
    f.opt_str("user_token")?;
    f.opt_str("user_id")?;
    let options = f.opt_object(
        "options",
        &[
            "webhook",
            "override_username",
            "override_password",
            "transactions",
            "statements",
            "income_verification",
        ],
    )?;
    let (mut webhook, mut username, mut password) = (None, GOOD_USERNAME, GOOD_PASSWORD);
    if let Some(o) = options {
        webhook = o.opt_str("webhook")?;
        if webhook.is_some_and(|u| !is_url(u)) {
            return Err(ApiError::invalid_field(
                "options.webhook must be a valid http or https URL",
            ));
        }
        username = o.opt_str("override_username")?.unwrap_or(GOOD_USERNAME);
        password = o.opt_str("override_password")?.unwrap_or(GOOD_PASSWORD);
    }
    let products = products.into_iter().map(str::to_owned).collect();
    let access_token = create_item(
        ctx.state,
        institution_id,
        username,
        password,
        webhook.map(str::to_owned),
        products,
    )?;
    let now = ctx.state.clock.now();
    let public_token = ctx.state.tokens.add_public(&access_token, now, true);
    reply(&json!({ "public_token": public_token, "request_id": ctx.request_id }))
}

/// `/sandbox/item/set_verification_status`: applies the outcome at once and sends the AUTH webhook.
pub(super) fn set_verification_status(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let account_id = f.str("account_id")?;
    let status = match f.str("verification_status")? {
        "automatically_verified" => VerificationStatus::AutomaticallyVerified,
        "verification_expired" => VerificationStatus::VerificationExpired,
        _ => {
            return Err(ApiError::invalid_field(
                "verification_status must be one of automatically_verified, verification_expired",
            ));
        }
    };
    let token = ctx.access_token()?;
    timeline::set_status(ctx.state, token, account_id, status).map_err(|e| match e {
        SetStatusError::UnknownItem => ApiError::invalid_access_token(),
        SetStatusError::UnknownAccount => ApiError::invalid_account_id(),
        SetStatusError::NotPending => ApiError::invalid_field(
            "account_id must refer to an account pending automatic verification",
        ),
    })?;
    request_id_only(ctx)
}

/// `/sandbox/item/reset_login`: ITEM_LOGIN_REQUIRED, plus the ITEM / ERROR webhook.
pub(super) fn reset_login(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let token = ctx.access_token()?;
    require_login(ctx.state, token).ok_or_else(ApiError::invalid_access_token)?;
    reply(&json!({ "reset_login": true, "request_id": ctx.request_id }))
}

/// Puts the Item of `token` into ITEM_LOGIN_REQUIRED and sends the ITEM / ERROR webhook;
/// `None` when there is no such Item.
pub(crate) fn require_login(state: &AppState, token: &str) -> Option<()> {
    let item_id = state.items.update(token, |item| {
        item.login_required = true;
        item.item_id.clone()
    })?;
    let body = json!({
        "webhook_type": "ITEM",
        "webhook_code": "ERROR",
        "item_id": item_id,
        "error": ApiError::item_login_required().embedded(true),
        "environment": "sandbox",
    });
    state.send_item_webhook(token, &body);
    Some(())
}

const FIREABLE: &[(&str, &str)] = &[
    ("DEFAULT_UPDATE", "TRANSACTIONS"),
    ("NEW_ACCOUNTS_AVAILABLE", "ITEM"),
    ("SMS_MICRODEPOSITS_VERIFICATION", "AUTH"),
    ("AUTHORIZATION_GRANTED", "ITEM"),
    ("USER_PERMISSION_REVOKED", "ITEM"),
    ("USER_ACCOUNT_REVOKED", "ITEM"),
    ("PENDING_DISCONNECT", "ITEM"),
    ("RECURRING_TRANSACTIONS_UPDATE", "TRANSACTIONS"),
    ("LOGIN_REPAIRED", "ITEM"),
    ("SYNC_UPDATES_AVAILABLE", "TRANSACTIONS"),
    ("PRODUCT_READY", "INCOME"),
    ("ERROR", "ITEM"),
];
const WEBHOOK_TYPES: &[&str] = &[
    "AUTH",
    "HOLDINGS",
    "INVESTMENTS_TRANSACTIONS",
    "ITEM",
    "LIABILITIES",
    "TRANSACTIONS",
    "ASSETS",
];

/// `/sandbox/item/fire_webhook`: sends one of the fireable codes (never AUTOMATICALLY_VERIFIED
/// or VERIFICATION_EXPIRED, as in Plaid).
pub(super) fn fire_webhook(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    let code = f.str("webhook_code")?;
    let default_type = FIREABLE
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let codes: Vec<_> = FIREABLE.iter().map(|(c, _)| *c).collect();
            ApiError::invalid_field(format!("webhook_code must be one of {}", codes.join(", ")))
        })?;
    let webhook_type = match f.opt_str("webhook_type")? {
        Some(t) if WEBHOOK_TYPES.contains(&t) => t,
        Some(_) => {
            return Err(ApiError::invalid_field(format!(
                "webhook_type must be one of {}",
                WEBHOOK_TYPES.join(", ")
            )));
        }
        None => default_type,
    };
    let token = ctx.access_token()?;
    let (item_id, account_id, has_webhook) = ctx
        .state
        .items
        .read(token, |i| {
            (
                i.item_id.clone(),
                i.accounts.first().map(|a| a.account_id.clone()),
                i.webhook.is_some(),
            )
        })
        .ok_or_else(ApiError::invalid_access_token)?;
    if !has_webhook {
        return Err(ApiError::sandbox(
            "SANDBOX_WEBHOOK_INVALID",
            "the Item has no webhook URL; set one with /link/token/create or options.webhook",
        ));
    }
    let mut body = json!({
        "webhook_type": webhook_type,
        "webhook_code": code,
        "item_id": item_id,
        "environment": "sandbox",
    });
    extend(&mut body, code, account_id, ctx.state.clock.now());
    ctx.state.send_item_webhook(token, &body);
    reply(&json!({ "webhook_fired": true, "request_id": ctx.request_id }))
}

/// Code-specific fields of fired webhooks.
fn extend(
    body: &mut Value,
    code: &str,
    account_id: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) {
    let extra = match code {
        "DEFAULT_UPDATE" => json!({ "error": null, "new_transactions": 0 }),
        "NEW_ACCOUNTS_AVAILABLE"
        | "LOGIN_REPAIRED"
        | "AUTHORIZATION_GRANTED"
        | "PRODUCT_READY"
        | "RECURRING_TRANSACTIONS_UPDATE" => json!({ "error": null }),
        "SMS_MICRODEPOSITS_VERIFICATION" => {
            json!({ "account_id": account_id, "status": "MANUALLY_VERIFIED" })
        }
        "USER_ACCOUNT_REVOKED" => json!({ "account_id": account_id, "error": null }),
        "USER_PERMISSION_REVOKED" => json!({ "error": {
            "error_type": "INVALID_INPUT", "error_code": "USER_PERMISSION_REVOKED",
            "error_code_reason": null,
            "error_message": "the holder of this account has revoked their permission for your application to access it",
            "display_message": null, "causes": [], "status": 400,
            "documentation_url": "https://plaid.com/docs/errors/invalid-input/#user_permission_revoked",
            "suggested_action": null } }),
        "PENDING_DISCONNECT" => json!({
            "reason": "INSTITUTION_TOKEN_EXPIRATION",
            "disconnect_time": crate::clock::rfc3339(now + chrono::Duration::days(7)),
        }),
        "SYNC_UPDATES_AVAILABLE" => {
            json!({ "initial_update_complete": true, "historical_update_complete": true })
        }
        "ERROR" => json!({ "error": ApiError::item_login_required().embedded(true) }),
        _ => json!({}),
    };
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
}
