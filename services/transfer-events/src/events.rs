//! Domain events: `penny.v1.DepositEvent` on `penny.event.deposit.{posted,reversed,failed,
//! cancelled}`, written to the transactional outbox in the transaction that records the Plaid
//! event, then relayed to `PENNY_EVENTS` with `Nats-Msg-Id` = `event_id`. The id is derived
//! from the Plaid event (`deposit-<feed>-<event_id>`), so whatever happens the same ACH event is
//! one domain event.

use chrono::{DateTime, Utc};
use penny_proto::v1 as pb;
use penny_store::outbox::OutboxMessage;
use prost::Message as _;

use crate::domain::{AchEvent, DepositState, Direction, Feed, returns};
use crate::store::entities::deposit;

/// The domain event's id (and `Nats-Msg-Id`).
pub fn event_id(feed: Feed, plaid_event_id: u64) -> String {
    format!("deposit-{feed}-{plaid_event_id}")
}

/// The subject: `penny.event.deposit.<what>`.
pub fn subject(state: DepositState) -> String {
    penny_bus::event_subject(penny_bus::DEPOSIT_EVENT_PREFIX, state.subject_suffix())
}

/// The event announcing that `event` took `deposit` to `state`.
pub fn deposit_event(
    event: &AchEvent,
    state: DepositState,
    deposit: &deposit::Model,
    account_linked: bool,
) -> pb::DepositEvent {
    let (return_category, return_reason) = match (&deposit.ach_return_code, state) {
        (Some(code), DepositState::Reversed) => {
            let (category, reason) = returns::classify(code);
            (category.to_proto() as i32, reason)
        }
        (None, DepositState::Reversed) => (
            pb::ReturnCategory::Other as i32,
            "Your bank returned the deposit.".to_owned(),
        ),
        _ => (pb::ReturnCategory::Unspecified as i32, String::new()),
    };
    let direction = deposit
        .direction
        .as_deref()
        .and_then(|d| d.parse::<Direction>().ok())
        .map_or(pb::DepositDirection::Unspecified, Direction::to_proto);
    pb::DepositEvent {
        event_id: event_id(event.feed, event.event_id),
        occurred_at: Some(timestamp(event.occurred_at)),
        account_id: deposit.account_id.clone().unwrap_or_default(),
        bank_transfer_id: deposit.transfer_id.clone(),
        plaid_event_id: event.event_id,
        state: state.to_proto() as i32,
        amount: deposit.amount.clone().unwrap_or_default(),
        iso_currency_code: deposit.currency.clone().unwrap_or_default(),
        ach_return_code: deposit.ach_return_code.clone().unwrap_or_default(),
        failure_description: deposit.failure_description.clone().unwrap_or_default(),
        available_at: (state == DepositState::Posted)
            .then_some(deposit.available_at)
            .flatten()
            .map(timestamp),
        direction: direction as i32,
        return_category,
        return_reason,
        plaid_event_type: event.plaid_event_type.clone(),
        account_linked,
        feed: event.feed.as_str().to_owned(),
    }
}

/// The outbox message carrying `event`.
pub fn message(state: DepositState, event: &pb::DepositEvent) -> OutboxMessage {
    OutboxMessage::new(
        subject(state),
        event.event_id.clone(),
        event.encode_to_vec(),
    )
    .header(
        penny_bus::HDR_CONTENT_TYPE,
        penny_bus::PROTOBUF_DEPOSIT_EVENT,
    )
}

/// A protobuf timestamp (prost's conversion from the system time).
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    std::time::SystemTime::from(at).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Stage;

    fn deposit(code: Option<&str>) -> deposit::Model {
        let now = Utc::now();
        deposit::Model {
            feed: "bank_transfer".into(),
            transfer_id: "bt".into(),
            account_id: Some("acc".into()),
            direction: Some("credit".into()),
            amount: Some("0.01".into()),
            currency: Some("USD".into()),
            stage: "reversed".into(),
            plaid_event_type: "reversed".into(),
            first_event_id: 1,
            last_event_id: 5,
            posted_at: Some(now),
            available_at: Some(now),
            ach_return_code: code.map(str::to_owned),
            failure_description: Some("No account".into()),
            created_at: now,
            updated_at: now,
        }
    }

    fn event() -> AchEvent {
        AchEvent {
            feed: Feed::BankTransfer,
            event_id: 5,
            occurred_at: Utc::now(),
            plaid_event_type: "reversed".into(),
            stage: Some(Stage::Reversed),
            account_id: Some("acc".into()),
            transfer_id: Some("bt".into()),
            direction: Some(Direction::Credit),
            amount: Some("0.01".into()),
            currency: Some("USD".into()),
            ach_return_code: Some("R03".into()),
            failure_description: Some("No account".into()),
        }
    }

    #[test]
    fn a_reversal_carries_code_category_and_reason_but_no_arrival() {
        let e = deposit_event(
            &event(),
            DepositState::Reversed,
            &deposit(Some("R03")),
            false,
        );
        assert_eq!(e.event_id, "deposit-bank_transfer-5");
        assert_eq!(e.state, pb::DepositState::Reversed as i32);
        assert_eq!(e.ach_return_code, "R03");
        assert_eq!(
            e.return_category,
            pb::ReturnCategory::AccountClosedOrInvalid as i32
        );
        assert!(
            e.return_reason.contains("could not find"),
            "{}",
            e.return_reason
        );
        assert_eq!(e.available_at, None);
        assert_eq!(e.direction, pb::DepositDirection::Credit as i32);
        assert!(!e.account_linked);
        let unknown = deposit_event(
            &event(),
            DepositState::Reversed,
            &deposit(Some("Z42")),
            true,
        );
        assert_eq!(unknown.return_category, pb::ReturnCategory::Other as i32);
        assert_eq!(unknown.ach_return_code, "Z42");
        assert_eq!(
            subject(DepositState::Reversed),
            "penny.event.deposit.reversed"
        );
    }

    #[test]
    fn a_posting_carries_its_arrival_and_no_return() {
        let e = deposit_event(&event(), DepositState::Posted, &deposit(None), true);
        assert!(e.available_at.is_some());
        assert_eq!(e.return_category, pb::ReturnCategory::Unspecified as i32);
        let m = message(DepositState::Posted, &e);
        assert_eq!(m.subject, "penny.event.deposit.posted");
        assert_eq!(m.msg_id, "deposit-bank_transfer-5");
        assert_eq!(
            m.headers
                .get(penny_bus::HDR_CONTENT_TYPE)
                .map(String::as_str),
            Some(penny_bus::PROTOBUF_DEPOSIT_EVENT)
        );
    }
}
