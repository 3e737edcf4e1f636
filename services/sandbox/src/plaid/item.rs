//! `/item/public_token/exchange`, `/item/get`, `/item/remove`.

use serde::Serialize;
use serde_json::json;

use super::{Ctx, reply, request_id_only};
use crate::error::ApiError;
use crate::model::ItemWithConsentJson;
use crate::timeline;

/// Exchanges a public token; for a new micro-deposit Item this starts the timeline.
pub(super) fn public_token_exchange(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let public_token = ctx.fields().str("public_token")?;
    let exchanged = ctx
        .state
        .tokens
        .exchange(public_token, ctx.state.clock.now())?;
    let item_id = ctx
        .state
        .items
        .read(&exchanged.access_token, |item| item.item_id.clone())
        // The Item was removed between Link and the exchange.
        .ok_or_else(|| ApiError::invalid_public_token("could not find matching public token"))?;
    if exchanged.new_item {
        timeline::start(ctx.state, &exchanged.access_token);
    }
    reply(&json!({
        "access_token": exchanged.access_token,
        "item_id": item_id,
        "request_id": ctx.request_id,
    }))
}

#[derive(Serialize)]
struct LastWebhook {
    sent_at: Option<String>,
    code_sent: String,
}

#[derive(Serialize)]
struct ItemStatus {
    investments: Option<()>,
    transactions: Option<()>,
    last_webhook: Option<LastWebhook>,
}

#[derive(Serialize)]
struct ItemGetResponse<'a> {
    item: ItemWithConsentJson<'a>,
    status: ItemStatus,
    request_id: &'a str,
}

/// `/item/get`: the Item with its error (ITEM_LOGIN_REQUIRED after reset_login) and last webhook.
pub(super) fn item_get(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    ctx.with_item(|item| {
        let status = ItemStatus {
            investments: None,
            transactions: None,
            last_webhook: item.last_webhook.as_ref().map(|(at, code)| LastWebhook {
                sent_at: Some(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                code_sent: code.clone(),
            }),
        };
        reply(&ItemGetResponse {
            item: ItemWithConsentJson::from(item),
            status,
            request_id: ctx.request_id,
        })
    })
}

/// `/item/remove`: the access token stops working.
pub(super) fn item_remove(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let f = ctx.fields();
    f.opt_str("reason_code")?;
    f.opt_str("reason_note")?;
    ctx.with_item(|_| Ok(()))?;
    ctx.state.items.remove(ctx.access_token()?);
    request_id_only(ctx)
}
