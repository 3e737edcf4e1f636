//! Writing a message into the outbox inside the caller's transaction.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::entity::{ActiveModel, Entity};

/// A message to publish once the surrounding transaction commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// NATS subject, e.g. `penny.event.account.verified`.
    pub subject: String,
    /// Unique id (also the `Nats-Msg-Id`), e.g. `account-verified-<account_id>`: derive it
    /// from the side effect so a retried handler produces the same id.
    pub msg_id: String,
    /// Body (protobuf for domain events).
    pub payload: Vec<u8>,
    /// Extra headers. [`enqueue`] adds the current trace context (`traceparent`) when absent,
    /// so the consumer continues the trace of the transaction that wrote the row.
    pub headers: BTreeMap<String, String>,
}

impl OutboxMessage {
    /// A message without extra headers.
    pub fn new(
        subject: impl Into<String>,
        msg_id: impl Into<String>,
        payload: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            subject: subject.into(),
            msg_id: msg_id.into(),
            payload: payload.into(),
            headers: BTreeMap::new(),
        }
    }

    /// The same message carrying the trace context of `span` (instead of the span current when
    /// it is enqueued): a batch written in one transaction keeps each message in its own trace.
    pub fn traced_by(mut self, span: &tracing::Span) -> Self {
        let mut nats = async_nats::HeaderMap::new();
        penny_bus::trace::inject_of(span, &mut nats);
        copy_headers(&nats, &mut self.headers);
        self
    }

    /// The same message with header `name: value`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}

/// Inserts `messages` through `txn` in one statement, in order (the caller's transaction, as
/// [`enqueue`]).
pub async fn enqueue_many<C: ConnectionTrait>(
    txn: &C,
    messages: Vec<OutboxMessage>,
) -> Result<(), DbErr> {
    if messages.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = messages
        .into_iter()
        .map(|m| row(m, now))
        .collect::<Result<Vec<_>, _>>()?;
    Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

fn row(message: OutboxMessage, now: chrono::DateTime<Utc>) -> Result<ActiveModel, DbErr> {
    let OutboxMessage {
        subject,
        msg_id,
        payload,
        mut headers,
    } = message;
    add_trace_context(&mut headers);
    let headers = serde_json::to_string(&headers)
        .map_err(|err| DbErr::Custom(format!("serialising outbox headers: {err}")))?;
    Ok(ActiveModel {
        subject: Set(subject),
        msg_id: Set(msg_id),
        payload: Set(payload),
        headers: Set(headers),
        created_at: Set(now),
        published_at: Set(None),
        attempts: Set(0),
        ..Default::default()
    })
}

/// Inserts `message` through `txn` (pass the caller's transaction so the message commits or
/// rolls back with the state change) and returns its row id. A second message with the same
/// `msg_id` fails with a unique violation (see [`crate::is_unique_violation`]).
pub async fn enqueue<C: ConnectionTrait>(txn: &C, message: OutboxMessage) -> Result<i64, DbErr> {
    let OutboxMessage {
        subject,
        msg_id,
        payload,
        mut headers,
    } = message;
    add_trace_context(&mut headers);
    let headers = serde_json::to_string(&headers)
        .map_err(|err| DbErr::Custom(format!("serialising outbox headers: {err}")))?;
    let row = ActiveModel {
        subject: Set(subject),
        msg_id: Set(msg_id),
        payload: Set(payload),
        headers: Set(headers),
        created_at: Set(Utc::now()),
        published_at: Set(None),
        attempts: Set(0),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row.id)
}

fn add_trace_context(headers: &mut BTreeMap<String, String>) {
    if headers.contains_key(penny_bus::HDR_TRACEPARENT) {
        return;
    }
    let mut nats = async_nats::HeaderMap::new();
    penny_bus::trace::inject(&mut nats);
    copy_headers(&nats, headers);
}

fn copy_headers(from: &async_nats::HeaderMap, to: &mut BTreeMap<String, String>) {
    for (name, values) in from.iter() {
        if let Some(value) = values.last() {
            to.insert(name.to_string(), value.as_str().to_owned());
        }
    }
}
