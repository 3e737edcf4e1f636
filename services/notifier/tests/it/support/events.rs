//! Domain events as verification and transfer-events publish them: protobuf on
//! `penny.event.<aggregate>.<what>` in `PENNY_EVENTS`, `Nats-Msg-Id` = `event_id`.

use chrono::{DateTime, Utc};
use penny_proto::v1 as pb;
use prost::Message as _;

/// A protobuf timestamp.
pub fn ts(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

/// An account event `penny.event.account.<what>` for `user`'s `account` (mask `****0000`).
pub fn account(
    what: &str,
    user: &str,
    account: &str,
    flow: pb::VerificationFlow,
    at: DateTime<Utc>,
) -> (String, Vec<u8>, String) {
    let event = pb::AccountEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(ts(at)),
        user_id: user.into(),
        item_id: format!("item-{account}"),
        account_id: account.into(),
        status: pb::AccountStatus::Verified as i32,
        previous_status: pb::AccountStatus::Pending as i32,
        cause: "AUTH/AUTOMATICALLY_VERIFIED".into(),
        mask: "****0000".into(),
        flow: flow as i32,
    };
    (
        format!("penny.event.account.{what}"),
        event.encode_to_vec(),
        event.event_id,
    )
}

/// A deposit event for `account` in `state`.
pub fn deposit(
    state: pb::DepositState,
    account: &str,
    posted: DateTime<Utc>,
    available_at: Option<DateTime<Utc>>,
) -> (String, Vec<u8>, String) {
    let what = match state {
        pb::DepositState::Posted => "posted",
        pb::DepositState::Reversed => "reversed",
        pb::DepositState::Failed => "failed",
        pb::DepositState::Cancelled => "cancelled",
        pb::DepositState::Pending | pb::DepositState::Unspecified => "pending",
    };
    let reversed = state == pb::DepositState::Reversed;
    let event = pb::DepositEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(ts(posted)),
        account_id: account.into(),
        bank_transfer_id: format!("bt-{account}"),
        plaid_event_id: 7,
        state: state as i32,
        amount: "0.01".into(),
        iso_currency_code: "USD".into(),
        ach_return_code: if reversed {
            "R03".into()
        } else {
            String::new()
        },
        failure_description: String::new(),
        available_at: available_at.map(ts),
        direction: pb::DepositDirection::Credit as i32,
        return_category: if reversed {
            pb::ReturnCategory::AccountClosedOrInvalid as i32
        } else {
            0
        },
        return_reason: String::new(),
        plaid_event_type: what.into(),
        account_linked: true,
        feed: "bank_transfer".into(),
    };
    (
        format!("penny.event.deposit.{what}"),
        event.encode_to_vec(),
        event.event_id,
    )
}

/// Publishes `(subject, body, event_id)` with `Nats-Msg-Id` = `msg_id` (the event id, like
/// the services' outboxes; another id publishes a second copy the stream keeps).
pub async fn publish(
    js: &async_nats::jetstream::Context,
    event: &(String, Vec<u8>, String),
    msg_id: &str,
) -> anyhow::Result<u64> {
    publish_traced(js, event, msg_id, None).await
}

/// [`publish`] with a W3C `traceparent` header, as a publisher inside a trace sends it.
pub async fn publish_traced(
    js: &async_nats::jetstream::Context,
    event: &(String, Vec<u8>, String),
    msg_id: &str,
    traceparent: Option<&str>,
) -> anyhow::Result<u64> {
    let (subject, body, _) = event;
    let content_type = if subject.starts_with("penny.event.deposit.") {
        penny_bus::PROTOBUF_DEPOSIT_EVENT
    } else {
        penny_bus::PROTOBUF_ACCOUNT_EVENT
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(penny_bus::HDR_CONTENT_TYPE, content_type);
    if let Some(traceparent) = traceparent {
        headers.insert(penny_bus::HDR_TRACEPARENT, traceparent);
    }
    let outcome = penny_bus::publish_durable(
        js,
        subject,
        headers,
        body.clone().into(),
        Some(msg_id),
        std::time::Duration::from_secs(5),
    )
    .await?;
    Ok(outcome.stream_seq)
}

/// Publishes an event once, as its publisher would.
pub async fn publish_once(
    js: &async_nats::jetstream::Context,
    event: &(String, Vec<u8>, String),
) -> anyhow::Result<u64> {
    publish(js, event, &event.2).await
}
