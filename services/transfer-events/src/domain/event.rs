//! [`AchEvent`]: a Plaid event from either feed, as the ledger records it. Nothing Plaid sends
//! is dropped: an event type penny does not know (a sweep, a refund, a future type) is recorded
//! with no [`Stage`], and an amount that is not a decimal is kept verbatim.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use penny_plaid::api::bank_transfer::{BankTransferEvent, BankTransferEventType, BankTransferType};
use penny_plaid::api::transfer::{TransferEvent, TransferEventType, TransferType};
use rust_decimal::Decimal;

use super::{Direction, Feed, Stage};

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AchEvent {
    /// The feed it came from.
    pub feed: Feed,
    /// Plaid's `event_id` (the cursor).
    pub event_id: u64,
    /// When it happened at Plaid.
    pub occurred_at: DateTime<Utc>,
    /// Plaid's `event_type`, verbatim.
    pub plaid_event_type: String,
    /// What it means for its deposit (`None`: not a deposit's event).
    pub stage: Option<Stage>,
    /// The account.
    pub account_id: Option<String>,
    /// `bank_transfer_id` / `transfer_id`.
    pub transfer_id: Option<String>,
    /// Credit or debit.
    pub direction: Option<Direction>,
    /// The amount: a normalised exact decimal, or Plaid's text when it is not one.
    pub amount: Option<String>,
    /// ISO currency code.
    pub currency: Option<String>,
    /// ACH return code of a return.
    pub ach_return_code: Option<String>,
    /// Plaid's failure description.
    pub failure_description: Option<String>,
}

impl AchEvent {
    /// A `/bank_transfer/event/sync` event.
    pub fn from_bank_transfer(e: &BankTransferEvent) -> Self {
        let stage = match &e.event_type {
            BankTransferEventType::Pending => Some(Stage::Pending),
            BankTransferEventType::Posted => Some(Stage::Posted),
            BankTransferEventType::Reversed => Some(Stage::Reversed),
            BankTransferEventType::Failed => Some(Stage::Failed),
            BankTransferEventType::Cancelled => Some(Stage::Cancelled),
            BankTransferEventType::Other(_) => None,
        };
        let direction = match &e.bank_transfer_type {
            BankTransferType::Credit => Some(Direction::Credit),
            BankTransferType::Debit => Some(Direction::Debit),
            BankTransferType::Other(_) => None,
        };
        let failure = e.failure_reason.as_ref();
        AchEvent {
            feed: Feed::BankTransfer,
            event_id: e.event_id,
            occurred_at: e.timestamp,
            plaid_event_type: e.event_type.as_str().to_owned(),
            stage,
            account_id: non_empty(Some(&e.account_id)),
            transfer_id: non_empty(Some(&e.bank_transfer_id)),
            direction,
            amount: normalise(Some(&e.bank_transfer_amount)),
            currency: non_empty(Some(&e.bank_transfer_iso_currency_code)),
            ach_return_code: non_empty(failure.and_then(|f| f.ach_return_code.as_ref())),
            failure_description: non_empty(failure.and_then(|f| f.description.as_ref())),
        }
    }

    /// A `/transfer/event/sync` event (`returned` is Transfer's `reversed`; sweeps and refunds
    /// have no stage).
    pub fn from_transfer(e: &TransferEvent) -> Self {
        let stage = match &e.event_type {
            TransferEventType::Pending => Some(Stage::Pending),
            TransferEventType::Posted => Some(Stage::Posted),
            TransferEventType::Settled => Some(Stage::Settled),
            TransferEventType::FundsAvailable => Some(Stage::FundsAvailable),
            TransferEventType::Returned => Some(Stage::Reversed),
            TransferEventType::Failed => Some(Stage::Failed),
            TransferEventType::Cancelled => Some(Stage::Cancelled),
            TransferEventType::Swept
            | TransferEventType::SweptSettled
            | TransferEventType::ReturnSwept
            | TransferEventType::Other(_) => None,
        };
        let direction = match &e.transfer_type {
            Some(TransferType::Credit) => Some(Direction::Credit),
            Some(TransferType::Debit) => Some(Direction::Debit),
            _ => None,
        };
        let failure = e.failure_reason.as_ref();
        let code = failure.and_then(|f| f.failure_code.as_ref().or(f.ach_return_code.as_ref()));
        let transfer_id = non_empty(Some(&e.transfer_id));
        AchEvent {
            feed: Feed::Transfer,
            event_id: e.event_id,
            occurred_at: e.timestamp,
            plaid_event_type: e.event_type.as_str().to_owned(),
            // A deposit stage needs a transfer to attach to.
            stage: stage.filter(|_| transfer_id.is_some()),
            account_id: non_empty(e.account_id.as_ref()),
            transfer_id,
            direction,
            amount: normalise(e.transfer_amount.as_ref().or(e.sweep_amount.as_ref())),
            currency: Some("USD".to_owned()),
            ach_return_code: non_empty(code),
            failure_description: non_empty(failure.and_then(|f| f.description.as_ref())),
        }
    }

    /// The amount as an exact decimal (`None` when absent or not a decimal).
    pub fn amount_decimal(&self) -> Option<Decimal> {
        self.amount
            .as_deref()
            .and_then(|a| Decimal::from_str(a).ok())
    }
}

fn non_empty(s: Option<&String>) -> Option<String> {
    s.map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `"0.010"` stays `"0.010"` (scale is kept: the amount is shown as Plaid wrote it) and `" 1.5 "`
/// becomes `"1.5"`; text that is not a decimal is kept verbatim.
fn normalise(s: Option<&String>) -> Option<String> {
    let raw = non_empty(s)?;
    Some(match Decimal::from_str(&raw) {
        Ok(d) => d.to_string(),
        Err(_) => raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank(json: &str) -> AchEvent {
        AchEvent::from_bank_transfer(&serde_json::from_str(json).unwrap())
    }

    fn transfer(json: &str) -> AchEvent {
        AchEvent::from_transfer(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn a_reversed_bank_transfer_keeps_its_code_and_exact_amount() {
        let e = bank(
            r#"{"event_id":5,"event_type":"reversed","timestamp":"2021-03-25T21:35:47Z",
            "account_id":"acc","bank_transfer_id":"bt","bank_transfer_type":"credit",
            "bank_transfer_amount":"0.01","bank_transfer_iso_currency_code":"USD",
            "direction":"outbound","origination_account_id":null,
            "failure_reason":{"ach_return_code":"R03","description":"No account"}}"#,
        );
        assert_eq!(e.stage, Some(Stage::Reversed));
        assert_eq!(e.direction, Some(Direction::Credit));
        assert_eq!(e.amount.as_deref(), Some("0.01"));
        assert_eq!(e.amount_decimal(), Some(Decimal::new(1, 2)));
        assert_eq!(e.ach_return_code.as_deref(), Some("R03"));
        assert_eq!(e.failure_description.as_deref(), Some("No account"));
        assert_eq!(e.plaid_event_type, "reversed");
    }

    #[test]
    fn unknown_types_and_odd_amounts_are_kept_not_dropped() {
        let e = bank(
            r#"{"event_id":9,"event_type":"held","timestamp":"2021-03-25T21:35:47Z",
            "account_id":"acc","bank_transfer_id":"bt","bank_transfer_type":"debit",
            "bank_transfer_amount":"one cent","bank_transfer_iso_currency_code":"USD",
            "failure_reason":null,"direction":null}"#,
        );
        assert_eq!(e.stage, None);
        assert_eq!(e.plaid_event_type, "held");
        assert_eq!(e.amount.as_deref(), Some("one cent"));
        assert_eq!(e.amount_decimal(), None);
        assert_eq!(e.direction, Some(Direction::Debit));
    }

    #[test]
    fn transfer_returned_is_reversed_and_sweeps_have_no_stage() {
        let returned = transfer(
            r#"{"event_id":3,"timestamp":"2026-01-02T10:00:00Z","event_type":"returned",
            "account_id":"acc","transfer_id":"t1","transfer_type":"credit","transfer_amount":"0.01",
            "failure_reason":{"failure_code":"R16","ach_return_code":null,"description":"frozen"}}"#,
        );
        assert_eq!(returned.stage, Some(Stage::Reversed));
        assert_eq!(returned.feed, Feed::Transfer);
        assert_eq!(returned.ach_return_code.as_deref(), Some("R16"));
        let settled = transfer(
            r#"{"event_id":2,"timestamp":"2026-01-02T10:00:00Z","event_type":"settled",
            "account_id":"acc","transfer_id":"t1","transfer_type":"credit","transfer_amount":"0.01"}"#,
        );
        assert_eq!(settled.stage, Some(Stage::Settled));
        let sweep = transfer(
            r#"{"event_id":4,"timestamp":"2026-01-02T10:00:00Z","event_type":"sweep.posted",
            "transfer_id":"","sweep_id":"s","sweep_amount":"-0.03"}"#,
        );
        assert_eq!(sweep.stage, None);
        assert_eq!(sweep.transfer_id, None);
        assert_eq!(sweep.account_id, None);
        assert_eq!(sweep.amount.as_deref(), Some("-0.03"));
    }
}
