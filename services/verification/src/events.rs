//! Domain events: the `penny.v1.AccountEvent` protobuf, its subject, and how it leaves — written
//! to the transactional outbox inside the transaction that makes the change, then relayed to
//! `PENNY_EVENTS` with `Nats-Msg-Id` = `event_id`, so a crash between commit and publish loses
//! nothing and a retried publish is dropped by JetStream's de-duplication.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use penny_proto::v1 as pb;
use penny_store::Outbox;
use penny_store::outbox::OutboxMessage;
use prost::Message as _;
use sea_orm::ConnectionTrait;

use crate::domain::{DomainEvent, Status};

/// The subject of a domain event: `penny.event.account.<what>`.
pub fn subject(kind: DomainEvent) -> String {
    penny_bus::event_subject(penny_bus::ACCOUNT_EVENT_PREFIX, kind.subject_suffix())
}

/// The facts an account event carries.
#[derive(Clone, Debug)]
pub struct AccountEventFacts<'a> {
    pub user_id: &'a str,
    pub item_id: &'a str,
    pub account_id: &'a str,
    /// Status after.
    pub status: Status,
    /// Status before.
    pub previous: Status,
    /// Cause, e.g. `AUTH/AUTOMATICALLY_VERIFIED`.
    pub cause: &'a str,
    /// The account's mask (last digits), never the number.
    pub mask: Option<&'a str>,
    /// How the account is verified.
    pub flow: crate::domain::Flow,
}

/// Builds an event with a fresh, time-ordered id.
pub fn account_event(facts: &AccountEventFacts<'_>, at: DateTime<Utc>) -> pb::AccountEvent {
    pb::AccountEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        occurred_at: Some(timestamp(at)),
        user_id: facts.user_id.to_owned(),
        item_id: facts.item_id.to_owned(),
        account_id: facts.account_id.to_owned(),
        status: facts.status.to_proto() as i32,
        previous_status: facts.previous.to_proto() as i32,
        cause: facts.cause.to_owned(),
        mask: facts.mask.map(|m| format!("****{m}")).unwrap_or_default(),
        flow: facts.flow.to_proto() as i32,
    }
}

/// Writes `event` to the outbox in the caller's transaction, with `Nats-Msg-Id` = its
/// `event_id`. The outbox adds the current trace context, so the notifier continues the
/// webhook's trace.
pub async fn enqueue(
    outbox: &Outbox,
    txn: &impl ConnectionTrait,
    kind: DomainEvent,
    event: &pb::AccountEvent,
) -> anyhow::Result<()> {
    outbox
        .enqueue(txn, message(kind, event))
        .await
        .context("writing a domain event to the outbox")?;
    Ok(())
}

/// The outbox message of `event`: its subject, `Nats-Msg-Id` = `event_id`, protobuf body.
pub fn message(kind: DomainEvent, event: &pb::AccountEvent) -> OutboxMessage {
    OutboxMessage::new(subject(kind), event.event_id.clone(), event.encode_to_vec()).header(
        penny_bus::HDR_CONTENT_TYPE,
        penny_bus::PROTOBUF_ACCOUNT_EVENT,
    )
}

/// A protobuf timestamp (prost's conversion from the system time).
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    std::time::SystemTime::from(at).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_mask_only_and_distinct_ids() {
        let facts = AccountEventFacts {
            user_id: "u1",
            item_id: "i1",
            account_id: "a1",
            status: Status::Verified,
            previous: Status::Pending,
            cause: "AUTH/AUTOMATICALLY_VERIFIED",
            mask: Some("0000"),
            flow: crate::domain::Flow::Automated,
        };
        let a = account_event(&facts, Utc::now());
        let b = account_event(&facts, Utc::now());
        assert_ne!(a.event_id, b.event_id);
        assert_eq!(a.mask, "****0000");
        assert_eq!(a.status, pb::AccountStatus::Verified as i32);
        assert_eq!(a.previous_status, pb::AccountStatus::Pending as i32);
        assert_eq!(
            subject(DomainEvent::Verified),
            "penny.event.account.verified"
        );
    }
}
