//! `/bank_transfer/event/sync`: micro-deposit ACH events (reference 2.7).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::client::plaid_response;
use crate::enums::string_enum;
use crate::error::PlaidError;
use crate::retry::Idempotency;

/// Largest `count` `/bank_transfer/event/sync` accepts.
pub const BANK_TRANSFER_EVENT_SYNC_MAX_COUNT: u32 = 25;

string_enum! {
    /// `BankTransferEvent.event_type` (also the `event_type` of `/sandbox/bank_transfer/simulate`).
    pub enum BankTransferEventType {
        /// Recorded, not yet sent (no webhook for it).
        Pending => "pending",
        /// Cancelled by the client.
        Cancelled => "cancelled",
        /// Failed; no funds moved.
        Failed => "failed",
        /// Posted; terminal for a successful micro-deposit (a reversal is still possible).
        Posted => "posted",
        /// Returned by the receiving bank with an ACH return code: the deposit failed.
        Reversed => "reversed",
    }
}

string_enum! {
    /// `bank_transfer_type`.
    pub enum BankTransferType {
        /// Money into the origination account.
        Debit => "debit",
        /// Money out of it: a deposit to the user.
        Credit => "credit",
    }
}

string_enum! {
    /// `direction` of a bank transfer event.
    pub enum BankTransferDirection {
        /// Initiated through the API.
        Outbound => "outbound",
        /// Received by the FBO account.
        Inbound => "inbound",
    }
}

/// `failure_reason` of a `failed` or `reversed` event (also sent to `/sandbox/bank_transfer/simulate`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTransferFailure {
    /// ACH return code such as `R03`; present iff the event is `reversed`.
    #[serde(default)]
    pub ach_return_code: Option<String>,
    /// Human-readable reason.
    #[serde(default)]
    pub description: Option<String>,
}

/// One bank transfer event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTransferEvent {
    /// Sequential id; the sync cursor.
    pub event_id: u64,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// What happened.
    pub event_type: BankTransferEventType,
    /// The linked account (join key to the user).
    pub account_id: String,
    /// The transfer's id.
    pub bank_transfer_id: String,
    /// Origination account (`""` or null for micro-deposits).
    #[serde(default)]
    pub origination_account_id: Option<String>,
    /// Debit or credit.
    pub bank_transfer_type: BankTransferType,
    /// Amount as a decimal string, e.g. `"0.01"`.
    pub bank_transfer_amount: String,
    /// Currency, e.g. `"USD"`.
    #[serde(default)]
    pub bank_transfer_iso_currency_code: String,
    /// Why it failed or was reversed.
    #[serde(default)]
    pub failure_reason: Option<BankTransferFailure>,
    /// Outbound or inbound.
    #[serde(default)]
    pub direction: Option<BankTransferDirection>,
}

/// `/bank_transfer/event/sync` response. There is no `has_more`: keep syncing from the largest
/// `event_id` until fewer than `count` events come back.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BankTransferEventSyncResponse {
    /// Events after `after_id`, oldest first.
    pub bank_transfer_events: Vec<BankTransferEvent>,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(BankTransferEventSyncResponse);

/// Request body of both event sync endpoints.
#[derive(Serialize)]
pub(crate) struct EventSyncRequest {
    pub after_id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl PlaidClient {
    /// `POST /bank_transfer/event/sync`: events with `event_id > after_id`, at most `count`
    /// (1 to 25, Plaid's default 25 when `None`). Read-only: retried.
    pub async fn bank_transfer_event_sync(
        &self,
        after_id: u64,
        count: Option<u32>,
    ) -> Result<BankTransferEventSyncResponse, PlaidError> {
        let request = EventSyncRequest { after_id, count };
        self.call("/bank_transfer/event/sync", Idempotency::ReadOnly, &request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_reversed_event() {
        let response: BankTransferEventSyncResponse = serde_json::from_str(
            r#"{"bank_transfer_events":[{"event_id":5,"event_type":"reversed",
             "timestamp":"2021-03-25T21:35:47Z","account_id":"bV8W","bank_transfer_id":"826712b2",
             "bank_transfer_type":"credit","bank_transfer_amount":"0.01",
             "bank_transfer_iso_currency_code":"USD","direction":"outbound",
             "origination_account_id":null,"receiver_details":null,
             "failure_reason":{"ach_return_code":"R03","description":"No account or unable to locate account"}}],
             "request_id":"r"}"#,
        )
        .unwrap();
        let event = &response.bank_transfer_events[0];
        assert_eq!(event.event_id, 5);
        assert_eq!(event.event_type, BankTransferEventType::Reversed);
        assert_eq!(event.bank_transfer_type, BankTransferType::Credit);
        assert_eq!(event.bank_transfer_amount, "0.01");
        assert_eq!(event.direction, Some(BankTransferDirection::Outbound));
        assert_eq!(
            event
                .failure_reason
                .as_ref()
                .unwrap()
                .ach_return_code
                .as_deref(),
            Some("R03")
        );
    }

    #[test]
    fn tolerates_null_failure_unknown_type_and_huge_ids() {
        let event: BankTransferEvent = serde_json::from_str(
            r#"{"event_id":18446744073709551615,"event_type":"settled_someday",
             "timestamp":"2021-03-25T21:35:47Z","account_id":"a","bank_transfer_id":"b",
             "origination_account_id":"","bank_transfer_type":"credit",
             "bank_transfer_amount":"0.01","bank_transfer_iso_currency_code":"USD",
             "failure_reason":null,"direction":null}"#,
        )
        .unwrap();
        assert_eq!(event.event_id, u64::MAX);
        assert_eq!(
            event.event_type,
            BankTransferEventType::Other("settled_someday".into())
        );
        assert_eq!(event.failure_reason, None);
        assert_eq!(event.direction, None);
    }

    #[test]
    fn request_leaves_out_a_missing_count() {
        let body = EventSyncRequest {
            after_id: 0,
            count: None,
        };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"after_id":0}"#);
        let body = EventSyncRequest {
            after_id: 7,
            count: Some(25),
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"after_id":7,"count":25}"#
        );
    }
}
