//! `/transfer/event/sync` (Plaid Transfer; reference 2.8): like the bank transfer sync, with a
//! larger event type set and `has_more`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::api::bank_transfer::EventSyncRequest;
use crate::client::plaid_response;
use crate::enums::string_enum;
use crate::error::PlaidError;
use crate::retry::Idempotency;

/// Largest `count` `/transfer/event/sync` accepts.
pub const TRANSFER_EVENT_SYNC_MAX_COUNT: u32 = 500;

string_enum! {
    /// `TransferEvent.event_type` (the common values; sweep and refund events land in `Other`).
    pub enum TransferEventType {
        /// Created, not yet sent.
        Pending => "pending",
        /// Cancelled.
        Cancelled => "cancelled",
        /// Failed.
        Failed => "failed",
        /// Posted.
        Posted => "posted",
        /// Settled.
        Settled => "settled",
        /// Funds available.
        FundsAvailable => "funds_available",
        /// Returned (ACH return).
        Returned => "returned",
        /// Swept.
        Swept => "swept",
        /// Sweep settled.
        SweptSettled => "swept_settled",
        /// Return swept.
        ReturnSwept => "return_swept",
    }
}

string_enum! {
    /// `transfer_type`.
    pub enum TransferType {
        /// Debit.
        Debit => "debit",
        /// Credit.
        Credit => "credit",
    }
}

/// `failure_reason` of a transfer event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferFailure {
    /// Failure or ACH return code.
    #[serde(default)]
    pub failure_code: Option<String>,
    /// Deprecated ACH return code.
    #[serde(default)]
    pub ach_return_code: Option<String>,
    /// Human-readable reason.
    #[serde(default)]
    pub description: Option<String>,
}

/// One transfer event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferEvent {
    /// Sequential id; the sync cursor.
    pub event_id: u64,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// What happened.
    pub event_type: TransferEventType,
    /// The account.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The funding account.
    #[serde(default)]
    pub funding_account_id: Option<String>,
    /// The ledger.
    #[serde(default)]
    pub ledger_id: Option<String>,
    /// The transfer.
    #[serde(default)]
    pub transfer_id: String,
    /// Deprecated origination account.
    #[serde(default)]
    pub origination_account_id: Option<String>,
    /// Debit or credit.
    #[serde(default)]
    pub transfer_type: Option<TransferType>,
    /// Amount as a decimal string.
    #[serde(default)]
    pub transfer_amount: Option<String>,
    /// Why it failed or was returned.
    #[serde(default)]
    pub failure_reason: Option<TransferFailure>,
    /// Sweep id.
    #[serde(default)]
    pub sweep_id: Option<String>,
    /// Sweep amount.
    #[serde(default)]
    pub sweep_amount: Option<String>,
    /// Refund id.
    #[serde(default)]
    pub refund_id: Option<String>,
    /// Originator client id.
    #[serde(default)]
    pub originator_client_id: Option<String>,
    /// Intent id.
    #[serde(default)]
    pub intent_id: Option<String>,
    /// Wire return fee.
    #[serde(default)]
    pub wire_return_fee: Option<String>,
}

/// `/transfer/event/sync` response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TransferEventSyncResponse {
    /// Events after `after_id`.
    pub transfer_events: Vec<TransferEvent>,
    /// Whether more events are waiting.
    #[serde(default)]
    pub has_more: bool,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(TransferEventSyncResponse);

impl PlaidClient {
    /// `POST /transfer/event/sync`: events with `event_id > after_id`, at most `count` (1 to 500,
    /// Plaid's default 100 when `None`). Read-only: retried.
    pub async fn transfer_event_sync(
        &self,
        after_id: u64,
        count: Option<u32>,
    ) -> Result<TransferEventSyncResponse, PlaidError> {
        let request = EventSyncRequest { after_id, count };
        self.call("/transfer/event/sync", Idempotency::ReadOnly, &request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_has_more_and_unknown_event_types() {
        let response: TransferEventSyncResponse = serde_json::from_str(
            r#"{"transfer_events":[{"event_id":1,"timestamp":"2019-12-09T17:27:15Z",
               "event_type":"sweep.pending","account_id":"a","transfer_id":"t",
               "transfer_type":"credit","transfer_amount":"12.34","failure_reason":null,
               "sweep_id":null}],"has_more":true,"request_id":"r"}"#,
        )
        .unwrap();
        assert!(response.has_more);
        let event = &response.transfer_events[0];
        assert_eq!(
            event.event_type,
            TransferEventType::Other("sweep.pending".into())
        );
        assert_eq!(event.transfer_type, Some(TransferType::Credit));
        assert_eq!(event.transfer_amount.as_deref(), Some("12.34"));
    }
}
