//! The wire shapes of the two feeds: Plaid's `BankTransferEvent` and `TransferEvent`, borrowed
//! from the log and serialized under its read lock.

use serde::Serialize;

use super::{Event, EventKind, Feed};
use crate::clock::rfc3339;

/// `BankTransferEvent.failure_reason` / `TransferEvent.failure_reason`.
#[derive(Serialize)]
struct Failure<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<Option<&'a str>>,
    ach_return_code: Option<&'a str>,
    description: &'a str,
}

/// One `BankTransferEvent`: Plaid's 11 fields plus `receiver_details` (in Plaid's docs
/// examples and required, nullable, by the official plaid-python model).
#[derive(Serialize)]
struct BankTransferEventJson<'a> {
    event_id: u64,
    timestamp: String,
    event_type: &'static str,
    account_id: &'a str,
    bank_transfer_id: &'a str,
    origination_account_id: Option<&'a str>,
    bank_transfer_type: &'static str,
    bank_transfer_amount: &'a str,
    bank_transfer_iso_currency_code: &'static str,
    failure_reason: Option<Failure<'a>>,
    direction: Option<&'static str>,
    receiver_details: Option<()>,
}

/// One `TransferEvent` (the fields plaid-python 46 requires, nullable ones as null).
#[derive(Serialize)]
struct TransferEventJson<'a> {
    event_id: u64,
    timestamp: String,
    event_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    funding_account_id: Option<&'a str>,
    ledger_id: Option<&'a str>,
    transfer_id: &'a str,
    origination_account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer_amount: Option<&'a str>,
    failure_reason: Option<Failure<'a>>,
    sweep_id: Option<&'a str>,
    sweep_amount: Option<&'a str>,
    refund_id: Option<&'a str>,
    originator_client_id: Option<&'a str>,
    intent_id: Option<&'a str>,
    wire_return_fee: Option<&'a str>,
}

/// A `/bank_transfer/event/sync` response body.
#[derive(Serialize)]
pub struct BankTransferPage<'a> {
    bank_transfer_events: Vec<BankTransferEventJson<'a>>,
    request_id: &'a str,
}

impl<'a> BankTransferPage<'a> {
    /// The page of `events` (transfer events only: sweeps never reach this feed).
    pub fn new(events: &'a [Event], request_id: &'a str) -> Self {
        let bank_transfer_events = events
            .iter()
            .filter_map(|e| {
                let EventKind::Transfer(t, stage) = &e.kind else {
                    return None;
                };
                Some(BankTransferEventJson {
                    event_id: e.event_id,
                    timestamp: rfc3339(e.at),
                    event_type: stage.event_type(Feed::BankTransfer),
                    account_id: &t.account_id,
                    bank_transfer_id: &t.id,
                    origination_account_id: None,
                    bank_transfer_type: t.direction.as_str(),
                    bank_transfer_amount: &t.amount,
                    bank_transfer_iso_currency_code: "USD",
                    failure_reason: e.failure.as_ref().map(|f| Failure {
                        failure_code: None,
                        ach_return_code: f.ach_return_code.as_deref(),
                        description: &f.description,
                    }),
                    direction: Some("outbound"),
                    receiver_details: None,
                })
            })
            .collect();
        Self {
            bank_transfer_events,
            request_id,
        }
    }
}

/// A `/transfer/event/sync` response body.
#[derive(Serialize)]
pub struct TransferPage<'a> {
    transfer_events: Vec<TransferEventJson<'a>>,
    has_more: bool,
    request_id: &'a str,
}

impl<'a> TransferPage<'a> {
    /// The page of `events`; `has_more` when more follow.
    pub fn new(events: &'a [Event], has_more: bool, request_id: &'a str) -> Self {
        let transfer_events = events.iter().map(transfer_event).collect();
        Self {
            transfer_events,
            has_more,
            request_id,
        }
    }
}

fn transfer_event(e: &Event) -> TransferEventJson<'_> {
    let failure_reason = e.failure.as_ref().map(|f| Failure {
        // Transfer's failure_code carries the return code; ach_return_code is its deprecated twin.
        failure_code: Some(f.ach_return_code.as_deref()),
        ach_return_code: f.ach_return_code.as_deref(),
        description: &f.description,
    });
    let mut json = TransferEventJson {
        event_id: e.event_id,
        timestamp: rfc3339(e.at),
        event_type: "sweep.posted",
        account_id: None,
        funding_account_id: None,
        ledger_id: None,
        transfer_id: "",
        origination_account_id: None,
        transfer_type: None,
        transfer_amount: None,
        failure_reason,
        sweep_id: None,
        sweep_amount: None,
        refund_id: None,
        originator_client_id: None,
        intent_id: None,
        wire_return_fee: None,
    };
    match &e.kind {
        EventKind::Transfer(t, stage) => {
            json.event_type = stage.event_type(Feed::Transfer);
            json.account_id = Some(&t.account_id);
            json.transfer_id = &t.id;
            json.transfer_type = Some(t.direction.as_str());
            json.transfer_amount = Some(&t.amount);
        }
        EventKind::Sweep { sweep_id, amount } => {
            json.sweep_id = Some(sweep_id);
            json.sweep_amount = Some(amount);
        }
    }
    json
}
