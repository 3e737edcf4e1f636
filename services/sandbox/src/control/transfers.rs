//! `/__sandbox/transfers/*`: micro-deposits in bulk, so tests and benchmarks produce thousands
//! of Items and events without an HTTP call each: create Items with their pending deposits,
//! advance many transfers at once, send many pokes, record a sweep, read the feeds' sizes.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::instrument;

use super::{ControlError, parse};
use crate::items::{HOUNDSTOOTH, Item};
use crate::ledger::shape::{DepositShape, parse_micro_amount};
use crate::ledger::{Direction, FailureReason, Feed, Selection, Stage};
use crate::state::AppState;
use crate::timeline;

/// Most Items one call may create.
const MAX_ITEMS: usize = 200_000;
/// Most pokes one call may send.
const MAX_POKES: u32 = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ItemsRequest {
    count: usize,
    deposit_shape: Option<DepositShape>,
    feed: Option<Feed>,
    /// The legacy shape's two credit amounts, e.g. `["0.10", "0.20"]` (default: random cents).
    credits: Option<[String; 2]>,
    webhook: Option<String>,
    /// Return the Items (default true; false for large counts).
    ids: Option<bool>,
}

#[derive(Serialize)]
struct TransferJson {
    transfer_id: String,
    direction: Direction,
    amount: String,
}

#[derive(Serialize)]
struct ItemJson {
    item_id: String,
    access_token: String,
    account_id: String,
    transfers: Vec<TransferJson>,
}

/// `POST /__sandbox/transfers/items`: Automated Micro-deposits Items, as if linked and
/// exchanged, each account with its pending deposits recorded in the chosen feed. They are not
/// verified or expired by themselves (no timers).
#[instrument(skip_all)]
pub(super) async fn items(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: ItemsRequest = parse(&raw)?;
    if req.count == 0 || req.count > MAX_ITEMS {
        return Err(bad(format!("count must be between 1 and {MAX_ITEMS}")));
    }
    let credits = match &req.credits {
        None => None,
        Some([a, b]) => Some(
            [parse_micro_amount(a), parse_micro_amount(b)]
                .map(|c| c.ok_or_else(|| bad("credits must be amounts from 0.01 to 0.99")))
                .into_iter()
                .collect::<Result<Vec<u32>, _>>()
                .map(|v| [v[0], v[1]])?,
        ),
    };
    if req
        .webhook
        .as_deref()
        .is_some_and(|u| !crate::plaid::is_url(u))
    {
        return Err(bad("webhook must be an http or https URL"));
    }
    let shape = req.deposit_shape.unwrap_or_default();
    let feed = req.feed.unwrap_or(state.event_feed);
    let state2 = Arc::clone(&state);
    let created = tokio::task::spawn_blocking(move || {
        let now = state2.clock.now();
        (0..req.count)
            .map(|_| {
                let mut item = Item::automated_microdeposits(
                    HOUNDSTOOTH,
                    req.webhook.clone(),
                    vec!["auth".into()],
                    now,
                );
                item.deposit_shape = shape;
                item.event_feed = feed;
                let item_id = item.item_id.clone();
                let access_token = state2.add_item(item);
                let recorded = timeline::record_deposits(&state2, &access_token, credits);
                (item_id, access_token, recorded)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ControlError::Internal(e.into()))?;
    let count = created.len();
    if !req.ids.unwrap_or(true) {
        return Ok(Json(json!({ "count": count })));
    }
    let items: Vec<ItemJson> = created
        .into_iter()
        .flat_map(|(item_id, access_token, accounts)| {
            accounts
                .into_iter()
                .map(move |(account_id, transfers)| ItemJson {
                    item_id: item_id.clone(),
                    access_token: access_token.clone(),
                    account_id,
                    transfers: transfers
                        .into_iter()
                        .map(|t| TransferJson {
                            transfer_id: t.id,
                            direction: t.direction,
                            amount: t.amount,
                        })
                        .collect(),
                })
        })
        .collect();
    Ok(Json(json!({ "count": count, "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Failure {
    ach_return_code: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdvanceRequest {
    to: String,
    feed: Option<Feed>,
    account_ids: Option<Vec<String>>,
    transfer_ids: Option<Vec<String>>,
    direction: Option<Direction>,
    limit: Option<usize>,
    failure_reason: Option<Failure>,
    /// Then send each affected feed's poke to the configured webhook URL.
    poke: Option<bool>,
}

fn stage(name: &str) -> Result<Stage, ControlError> {
    Ok(match name {
        "posted" => Stage::Posted,
        "settled" => Stage::Settled,
        "funds_available" => Stage::FundsAvailable,
        "failed" => Stage::Failed,
        "cancelled" => Stage::Cancelled,
        "reversed" | "returned" => Stage::Returned,
        other => {
            return Err(bad(format!(
                "to must be posted, settled, funds_available, failed, cancelled, reversed or returned, got {other:?}"
            )));
        }
    })
}

/// `POST /__sandbox/transfers/advance`: moves every selected transfer whose lifecycle allows
/// it to `to` (one event each; the others are left alone).
#[instrument(skip_all)]
pub(super) async fn advance(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: AdvanceRequest = parse(&raw)?;
    let to = stage(&req.to)?;
    let failure = match req.failure_reason {
        None => None,
        Some(f) => {
            if let Some(code) = &f.ach_return_code
                && !(code.len() == 3
                    && code.starts_with('R')
                    && code[1..].bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(bad("failure_reason.ach_return_code must look like R01"));
            }
            Some(FailureReason {
                ach_return_code: f.ach_return_code,
                description: f.description.unwrap_or_default(),
            })
        }
    };
    let url = state.bank_transfers_url();
    let poke = req.poke.unwrap_or(false);
    if poke && url.is_none() {
        return Err(bad(
            "poke needs the webhook URL: POST /__sandbox/bank_transfers_webhook first",
        ));
    }
    let selection = Selection {
        feed: req.feed,
        account_ids: req.account_ids,
        transfer_ids: req.transfer_ids,
        direction: req.direction,
        limit: req.limit,
    };
    let state2 = Arc::clone(&state);
    let done = tokio::task::spawn_blocking(move || {
        let now = state2.clock.now();
        state2
            .transfers
            .advance(&selection, to, failure.as_ref(), now)
    })
    .await
    .map_err(|e| ControlError::Internal(e.into()))?;
    if let (true, Some(url)) = (poke, url) {
        for (feed, n) in [
            (Feed::BankTransfer, done.bank_transfer_events),
            (Feed::Transfer, done.transfer_events),
        ] {
            if n > 0 {
                state.send_events_update(feed, &url);
            }
        }
    }
    Ok(Json(json!(done)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PokeRequest {
    feed: Option<Feed>,
    count: Option<u32>,
}

/// `POST /__sandbox/transfers/poke {feed?, count?}`: sends `count` pokes of the feed (each its
/// own signed delivery, identical bytes) to the configured webhook URL.
#[instrument(skip_all)]
pub(super) async fn poke(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: PokeRequest = parse(&raw)?;
    let count = req.count.unwrap_or(1);
    if count == 0 || count > MAX_POKES {
        return Err(bad(format!("count must be between 1 and {MAX_POKES}")));
    }
    let url = state
        .bank_transfers_url()
        .ok_or_else(|| bad("no webhook URL: POST /__sandbox/bank_transfers_webhook first"))?;
    let feed = req.feed.unwrap_or(state.event_feed);
    for _ in 0..count {
        state.send_events_update(feed, &url);
    }
    Ok(Json(json!({ "sent": count })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SweepRequest {
    amount: String,
}

/// `POST /__sandbox/transfers/sweep {amount}`: a `sweep.posted` event in the Transfer feed.
#[instrument(skip_all)]
pub(super) async fn sweep(
    State(state): State<Arc<AppState>>,
    raw: Bytes,
) -> Result<Json<Value>, ControlError> {
    let req: SweepRequest = parse(&raw)?;
    let digits = req.amount.strip_prefix('-').unwrap_or(&req.amount);
    let valid = digits.split_once('.').is_some_and(|(w, f)| {
        !w.is_empty()
            && !f.is_empty()
            && w.bytes().all(|b| b.is_ascii_digit())
            && f.bytes().all(|b| b.is_ascii_digit())
    });
    if !valid {
        return Err(bad("amount must be a decimal string such as \"-12.34\""));
    }
    let event_id = state.transfers.sweep(&req.amount, state.clock.now());
    Ok(Json(json!({ "event_id": event_id })))
}

/// `GET /__sandbox/transfers`: events and transfers per feed.
pub(super) async fn counts(State(state): State<Arc<AppState>>) -> Json<Value> {
    let feed = |f| {
        let (events, transfers) = state.transfers.counts(f);
        json!({ "events": events, "transfers": transfers })
    };
    Json(json!({
        "bank_transfer": feed(Feed::BankTransfer),
        "transfer": feed(Feed::Transfer),
    }))
}

fn bad(message: impl Into<String>) -> ControlError {
    ControlError::BadRequest(message.into())
}
