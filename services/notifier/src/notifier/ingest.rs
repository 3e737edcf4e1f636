//! A domain event in, the alerts it asks for out, in one transaction with the inbox record:
//!
//! 1. the inbox says whether this event was processed already (the same stream message, or the
//!    same `event_id` within the window) → nothing to do;
//! 2. account events update the projection (account → user, flow, mask); deposit events look
//!    their account up in it, and when it is not there yet the transaction is rolled back and
//!    the event waits ([`NotifierError::AccountUnknown`]: retried with backoff, then parked);
//! 3. the alert kind is decided ([`crate::domain::route`]) and one alert per channel is
//!    inserted, unless one exists for (user, event, channel) — the unique key that makes
//!    "never twice" hold even for two replicas processing two copies at once;
//! 4. the inbox records the event, the transaction commits, and the alerts due now are handed
//!    to the dispatcher by the caller, with the rows and the contact read here (if that is lost,
//!    the scheduler finds them).

use chrono::{DateTime, Utc};
use penny_proto::v1 as pb;
use penny_store::inbox::{self, InboxEntry, Lookup};

use super::deliver::Prefetched;
use super::{INBOX_CONSUMER, Notifier, NotifierError};
use crate::domain::facts::mask_digits;
use crate::domain::plan::{Plan, SuppressReason, plan};
use crate::domain::route::{AccountAlert, AccountChange, Flow, deposit_alert};
use crate::domain::schedule::deposit_due;
use crate::domain::{AlertFacts, AlertKind, Channel, Reason, SendState};
use crate::store::accounts::{self, AccountFacts};
use crate::store::alerts::{self, NewAlert};
use crate::store::{preferences, reminders, waiting};

/// A decoded domain event.
#[derive(Clone, Debug, PartialEq)]
pub enum DomainEvent {
    /// `penny.event.account.<change>`.
    Account {
        /// What happened.
        change: AccountChange,
        /// The event.
        event: pb::AccountEvent,
    },
    /// `penny.event.deposit.<state>`.
    Deposit(pb::DepositEvent),
}

impl DomainEvent {
    /// Its id.
    pub fn event_id(&self) -> &str {
        match self {
            Self::Account { event, .. } => &event.event_id,
            Self::Deposit(event) => &event.event_id,
        }
    }

    /// `account.verified`, `deposit.posted`, ...
    pub fn event_type(&self) -> String {
        match self {
            Self::Account { change, .. } => format!("account.{}", change.as_str()),
            Self::Deposit(event) => format!("deposit.{}", deposit_state_name(event.state())),
        }
    }
}

/// How the event was received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Its stream sequence (`None` for a direct call).
    pub stream_sequence: Option<u64>,
    /// When it was received (stable across redeliveries).
    pub received_at: DateTime<Utc>,
    /// The W3C `traceparent` its alerts' sends continue
    /// ([`crate::dispatch::trace::context_of`]).
    pub traceparent: Option<String>,
}

/// Who and what the alerts of one event are for.
struct Origin<'a> {
    user_id: &'a str,
    account_id: &'a str,
    traceparent: Option<&'a str>,
}

/// What ingesting did.
#[derive(Clone, Debug)]
pub struct Ingested {
    /// `alerted`, `no_alert`, `no_contact`, `duplicate`.
    pub outcome: &'static str,
    /// Alerts created due now or earlier, with what was read for them: hand them to the
    /// dispatcher.
    pub due_now: Vec<Prefetched>,
}

impl Notifier {
    /// Processes one domain event (see the module docs).
    #[tracing::instrument(name = "notifier.ingest", skip_all, fields(event_id = %event.event_id(), event_type = %event.event_type(), outcome = tracing::field::Empty))]
    pub async fn ingest(
        &self,
        event: &DomainEvent,
        received: Received,
    ) -> Result<Ingested, NotifierError> {
        let now = self.now();
        let txn = penny_store::begin_write(self.db()).await?;
        let lookup = Lookup {
            consumer: INBOX_CONSUMER,
            key: event.event_id(),
            stream_sequence: received.stream_sequence,
            received_at: received.received_at,
            window: self.settings().inbox_window,
        };
        if inbox::seen(&txn, &lookup).await?.is_some() {
            return Ok(Ingested {
                outcome: "duplicate",
                due_now: Vec::new(),
            });
        }
        let (user_id, account_id, alert) = match event {
            DomainEvent::Account { change, event } => {
                let facts = AccountFacts {
                    account_id: event.account_id.clone(),
                    user_id: event.user_id.clone(),
                    item_id: event.item_id.clone(),
                    mask: mask_digits(&event.mask),
                    flow: Flow::from_proto(event.flow),
                    change: change.as_str(),
                    occurred_at: timestamp(event.occurred_at.as_ref()).unwrap_or(now),
                };
                accounts::record(&txn, &facts, now).await?;
                if change.settles() {
                    let withdrawn = reminders::withdraw(
                        &txn,
                        &event.account_id,
                        &format!("account_{}", facts.change),
                        now,
                    )
                    .await?;
                    for channel in withdrawn.iter().filter_map(|c| c.parse::<Channel>().ok()) {
                        self.metrics()
                            .alert(AlertKind::DepositPosted, channel, "suppressed");
                    }
                }
                let alert = change.alert().map(|kind| {
                    let facts = AlertFacts {
                        mask: facts.mask.clone(),
                        reason: None,
                    };
                    (kind, facts, now)
                });
                (event.user_id.clone(), event.account_id.clone(), alert)
            }
            DomainEvent::Deposit(deposit) => {
                accounts::lock(&txn, &deposit.account_id).await?;
                let Some(account) = accounts::find(&txn, &deposit.account_id).await? else {
                    txn.rollback().await?;
                    return Err(NotifierError::AccountUnknown {
                        account_id: deposit.account_id.clone(),
                        event_id: deposit.event_id.clone(),
                    });
                };
                waiting::clear(&txn, &deposit.event_id).await?;
                let settled = AccountChange::from_suffix(&account.last_change)
                    .is_some_and(AccountAlert::settles);
                let kind = deposit_alert(
                    deposit.state(),
                    deposit.direction(),
                    Flow::parse(&account.flow),
                )
                // A reminder to confirm a deposit of an account already settled is not true.
                .filter(|kind| !(settled && *kind == AlertKind::DepositPosted));
                let alert = kind.map(|kind| {
                    let reason = (kind == AlertKind::DepositReversed).then(|| {
                        Reason::of_return(deposit.return_category(), &deposit.ach_return_code)
                    });
                    let due = if kind == AlertKind::DepositPosted {
                        deposit_due(
                            timestamp(deposit.available_at.as_ref()),
                            timestamp(deposit.occurred_at.as_ref()),
                            now,
                        )
                    } else {
                        now
                    };
                    let facts = AlertFacts {
                        mask: account.mask.clone(),
                        reason,
                    };
                    (kind, facts, due)
                });
                (account.user_id.clone(), account.account_id.clone(), alert)
            }
        };
        let mut due_now = Vec::new();
        let outcome = match alert {
            None => "no_alert",
            Some((kind, facts, due)) => {
                let origin = Origin {
                    user_id: &user_id,
                    account_id: &account_id,
                    traceparent: received.traceparent.as_deref(),
                };
                let created = self
                    .create_alerts(&txn, event, &origin, kind, facts, due, now)
                    .await?;
                match created {
                    None => "no_contact",
                    Some(ids) => {
                        due_now = ids;
                        "alerted"
                    }
                }
            }
        };
        let entry = InboxEntry {
            consumer: INBOX_CONSUMER.to_owned(),
            key: event.event_id().to_owned(),
            stream_sequence: received.stream_sequence,
            received_at: received.received_at,
            kind: event.event_type(),
            aggregate_id: Some(user_id),
            entity_id: Some(account_id),
            outcome: outcome.to_owned(),
            detail: None,
        };
        let recorded = match inbox::record(&txn, entry, now).await {
            Err(e) if penny_store::is_unique_violation(&e) => Err(NotifierError::Duplicate),
            other => other.map_err(NotifierError::from),
        };
        recorded?;
        match txn.commit().await {
            Err(e) if penny_store::is_unique_violation(&e) => return Err(NotifierError::Duplicate),
            other => other?,
        }
        tracing::Span::current().record("outcome", outcome);
        Ok(Ingested { outcome, due_now })
    }

    /// Inserts one alert per channel the person can receive `kind` on (suppressed rows where
    /// they switched it off); `None` when the person has no contact data. Returns the ids of
    /// the new alerts due at `now` or earlier.
    #[allow(clippy::too_many_arguments)]
    async fn create_alerts(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        event: &DomainEvent,
        origin: &Origin<'_>,
        kind: AlertKind,
        facts: AlertFacts,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<Prefetched>>, NotifierError> {
        let user_id = origin.user_id;
        let Some(contact) = self.inner.book.find(txn, user_id).await? else {
            return Ok(None);
        };
        let switched_off = preferences::switched_off(txn, user_id).await?;
        let recipient = contact.recipient(switched_off.clone());
        let configured = self.inner.transports.channels();
        let mut due_now = Vec::new();
        for channel in Channel::ALL {
            let (state, at, why) = match plan(kind, channel, Some(&recipient), &configured, due) {
                Plan::SendAt(at) => (SendState::Pending, at, None),
                Plan::Suppress(
                    reason @ (SuppressReason::KindOff | SuppressReason::ChannelNotConfigured),
                ) if recipient.channels.contains(&channel) => {
                    (SendState::Suppressed, due, Some(reason.as_str().to_owned()))
                }
                Plan::Suppress(_) => continue,
            };
            let alert = NewAlert {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: user_id.to_owned(),
                account_id: origin.account_id.to_owned(),
                traceparent: origin.traceparent.map(str::to_owned),
                event_id: event.event_id().to_owned(),
                event_type: event.event_type(),
                kind,
                channel,
                state,
                due_at: at,
                last_error: why,
                facts: facts.clone(),
            };
            if let Some(row) = alerts::insert_once(txn, alert, now).await? {
                let outcome = if state == SendState::Pending {
                    "created"
                } else {
                    "suppressed"
                };
                self.metrics().alert(kind, channel, outcome);
                if state == SendState::Pending && at <= now {
                    due_now.push(Prefetched {
                        row,
                        contact: Some(contact.clone()),
                        switched_off: switched_off.clone(),
                    });
                }
            }
        }
        Ok(Some(due_now))
    }

    /// Notes that deposit event `event_id` waits for account `account_id` (`parked`: it is
    /// being parked now, retries exhausted).
    pub async fn note_waiting(
        &self,
        event: &DomainEvent,
        account_id: &str,
        parked: bool,
    ) -> Result<(), NotifierError> {
        waiting::note(
            self.db(),
            event.event_id(),
            account_id,
            &event.event_type(),
            parked,
            self.now(),
        )
        .await?;
        Ok(())
    }
}

/// A protobuf timestamp as UTC, when present and in range.
pub fn timestamp(ts: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    let ts = ts?;
    DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).ok()?)
}

fn deposit_state_name(state: pb::DepositState) -> &'static str {
    match state {
        pb::DepositState::Unspecified => "unspecified",
        pb::DepositState::Pending => "pending",
        pb::DepositState::Posted => "posted",
        pb::DepositState::Reversed => "reversed",
        pb::DepositState::Failed => "failed",
        pb::DepositState::Cancelled => "cancelled",
    }
}
