//! [`AccountHandler`]: `penny.event.account.linked` (verification publishes it at token
//! exchange) tells which user an account belongs to. The account is stored and its events
//! recorded before the link are flagged linked, in one transaction with the inbox entry, so a
//! redelivery changes nothing.

use chrono::{DateTime, Utc};
use penny_bus::{Delivery, Handler, Outcome};
use penny_proto::v1 as pb;
use penny_store::inbox::{self, InboxEntry, Lookup};
use prost::Message as _;
use sea_orm::DatabaseConnection;

use crate::store::accounts::{self, Linked};

/// The inbox consumer name of the account events.
pub const INBOX_CONSUMER: &str = "transfer-events-accounts";

/// The subject it consumes.
pub fn subjects() -> Vec<String> {
    vec![penny_bus::event_subject(
        penny_bus::ACCOUNT_EVENT_PREFIX,
        "linked",
    )]
}

/// Stores linked accounts.
#[derive(Clone, Debug)]
pub struct AccountHandler {
    db: DatabaseConnection,
}

impl AccountHandler {
    /// A handler writing to `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn apply(&self, delivery: &Delivery) -> anyhow::Result<Outcome> {
        let event = match pb::AccountEvent::decode(delivery.payload().as_ref()) {
            Ok(e) if !e.account_id.is_empty() => e,
            Ok(_) => return Ok(Outcome::park("account event without an account_id")),
            Err(e) => return Ok(Outcome::park(format!("not a penny.v1.AccountEvent: {e}"))),
        };
        let sequence = (delivery.stream_sequence() > 0).then_some(delivery.stream_sequence());
        let received_at = crate::store::now();
        let key = if event.event_id.is_empty() {
            format!("linked-{}", event.account_id)
        } else {
            event.event_id.clone()
        };
        let lookup = Lookup {
            consumer: INBOX_CONSUMER,
            key: &key,
            stream_sequence: sequence,
            received_at,
            window: std::time::Duration::ZERO,
        };
        if inbox::seen(&self.db, &lookup).await?.is_some() {
            return Ok(Outcome::Ack);
        }
        let linked = Linked {
            account_id: event.account_id.clone(),
            user_id: event.user_id.clone(),
            item_id: event.item_id.clone(),
            flow: flow_name(event.flow()).to_owned(),
            linked_at: occurred_at(&event).unwrap_or(received_at),
            event_id: key.clone(),
        };
        let txn = penny_store::begin_write(&self.db).await?;
        let flagged = accounts::link(&txn, &linked).await?;
        let entry = InboxEntry {
            consumer: INBOX_CONSUMER.to_owned(),
            key,
            stream_sequence: sequence,
            received_at,
            kind: "account.linked".to_owned(),
            aggregate_id: Some(event.user_id.clone()),
            entity_id: Some(event.account_id.clone()),
            outcome: "applied".to_owned(),
            detail: (flagged > 0).then(|| format!("{flagged} earlier events now linked")),
        };
        match inbox::record(&txn, entry, received_at).await {
            Ok(()) => {}
            Err(e) if penny_store::is_unique_violation(&e) => return Ok(Outcome::Ack),
            Err(e) => return Err(e.into()),
        }
        txn.commit().await?;
        tracing::info!(account_id = %event.account_id, flagged, "account linked");
        Ok(Outcome::Ack)
    }
}

impl Handler for AccountHandler {
    async fn handle(&self, delivery: &Delivery) -> Outcome {
        match self.apply(delivery).await {
            Ok(outcome) => outcome,
            Err(e) => Outcome::retry(format!("storing a linked account: {e:#}")),
        }
    }
}

fn flow_name(flow: pb::VerificationFlow) -> &'static str {
    match flow {
        pb::VerificationFlow::Automated => "automated",
        pb::VerificationFlow::SameDay => "same_day",
        pb::VerificationFlow::Instant => "instant",
        pb::VerificationFlow::Unspecified => "unspecified",
    }
}

fn occurred_at(event: &pb::AccountEvent) -> Option<DateTime<Utc>> {
    let t = event.occurred_at?;
    DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?)
}
