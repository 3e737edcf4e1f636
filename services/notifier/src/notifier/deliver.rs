//! One due alert, start to finish: "claim, then act, then record", safe across crashes.
//!
//! 1. Read the alert. An `unknown` email or push alert whose reconciliation time came is moved
//!    back to `pending` first (a resend with the same id).
//! 2. Plan again with the person's current data: suppressed if they switched it off or their
//!    contact is gone; deferred to the end of their quiet hours.
//! 3. **Claim**: `pending → sending` by compare-and-set, one more attempt, a claim token and
//!    a claim deadline (real time). Only the winner goes on.
//! 4. Render, call the provider (its latency is measured), in the span `notifier.send`: a
//!    child of the trace context stored with the alert, so the send is part of the domain
//!    event's trace however much later it happens ([`crate::dispatch::trace`]).
//! 5. **Record** the outcome by compare-and-set on the claim token: sent; back to pending after
//!    a jittered backoff (or the provider's `Retry-After`); failed; or unknown.
//!
//! A crash between 3 and 5 leaves the claim to run out; [`super::reconcile`] then records the
//! outcome as unknown.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng as _;

use super::{Notifier, NotifierError, real_now};
use penny_store::SecretString;
use tracing::Instrument as _;

use crate::channels::{Outgoing, SendOutcome, Transport};
use crate::crash::{CrashPoint, maybe_crash};
use crate::dispatch::trace;
use crate::domain::plan::{Plan, plan};
use crate::domain::send::transition;
use crate::domain::{AlertFacts, AlertKind, Channel, Due, Move, SendEvent, SendState, SendStatus};
use crate::store::alerts::{self, Alert, Write};
use crate::store::contacts::Contact;
use crate::store::preferences;
use crate::templates::AlertContext;

/// What one delivery attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// Not due, not pending, or another replica got it first: nothing done.
    Skipped,
    /// Suppressed (switched off, contact gone).
    Suppressed,
    /// Delayed to the end of quiet hours.
    Deferred,
    /// The provider was called; the state after.
    Attempted(SendState),
}

/// What ingesting an event already read for an alert it created due now: the row as inserted,
/// and the person's contact and switched-off preferences as of that transaction. Handing them
/// to [`Notifier::deliver_prefetched`] saves three reads (and opening the addresses) per alert;
/// the claim's compare-and-set still guards against any change since.
#[derive(Clone, Debug)]
pub struct Prefetched {
    /// The alert as inserted.
    pub row: Alert,
    /// The person's contact.
    pub contact: Option<Contact>,
    /// What they switched off.
    pub switched_off: SwitchedOff,
}

/// The (kind, channel) pairs a person switched off.
pub type SwitchedOff = BTreeSet<(AlertKind, Channel)>;

impl Notifier {
    /// Delivers alert `id` if it is due (see the module docs).
    pub async fn deliver(&self, id: &str) -> Result<Delivered, NotifierError> {
        let Some(row) = alerts::find(self.db(), id).await? else {
            return Ok(Delivered::Skipped);
        };
        self.deliver_row(row, None).await
    }

    /// Delivers an alert just created, with what its ingest read.
    pub async fn deliver_prefetched(
        &self,
        prefetched: Prefetched,
    ) -> Result<Delivered, NotifierError> {
        let Prefetched {
            row,
            contact,
            switched_off,
        } = prefetched;
        self.deliver_row(row, Some((contact, switched_off))).await
    }

    #[tracing::instrument(name = "notifier.deliver", skip_all, fields(alert_id = %row.id, kind = tracing::field::Empty, channel = tracing::field::Empty, outcome = tracing::field::Empty))]
    async fn deliver_row(
        &self,
        mut row: Alert,
        person: Option<(Option<Contact>, SwitchedOff)>,
    ) -> Result<Delivered, NotifierError> {
        let now = self.now();
        let kind: AlertKind = row.kind.parse().map_err(anyhow::Error::msg)?;
        let channel: Channel = row.channel.parse().map_err(anyhow::Error::msg)?;
        let span = tracing::Span::current();
        span.record("kind", kind.as_str());
        span.record("channel", channel.as_str());
        if row.due_at.is_none_or(|due| due > now) {
            return Ok(Delivered::Skipped);
        }
        let mut status = alerts::status_of(&row).map_err(anyhow::Error::msg)?;
        if status.state == SendState::Unknown {
            let Ok(mv) = self.step(status, SendEvent::Reconcile, channel) else {
                return Ok(Delivered::Skipped);
            };
            if !self.write(&row, status, None, mv, Write::default()).await? {
                return Ok(Delivered::Skipped);
            }
            self.metrics().alert(kind, channel, "resent");
            status = mv.to;
            row.due_at = Some(now);
        }
        if status.state != SendState::Pending {
            return Ok(Delivered::Skipped);
        }

        let (contact, switched_off) = match person {
            Some(person) => person,
            None => (
                self.inner.book.find(self.db(), &row.user_id).await?,
                preferences::switched_off(self.db(), &row.user_id).await?,
            ),
        };
        let recipient = contact.as_ref().map(|c| c.recipient(switched_off));
        let configured = self.inner.transports.channels();
        let contact = match (
            plan(kind, channel, recipient.as_ref(), &configured, now),
            contact,
        ) {
            (Plan::Suppress(reason), _) => {
                let mv = self.step(status, SendEvent::Suppress, channel)?;
                let write = Write {
                    last_error: Some(Some(reason.as_str().to_owned())),
                    due_at: Some(None),
                    ..Write::default()
                };
                if self.write(&row, status, None, mv, write).await? {
                    self.metrics().alert(kind, channel, "suppressed");
                    return Ok(Delivered::Suppressed);
                }
                return Ok(Delivered::Skipped);
            }
            (Plan::SendAt(at), _) if at > now => {
                let by = (at - now).to_std().unwrap_or_default();
                let mv = self.step(status, SendEvent::Defer { by }, channel)?;
                if self.write(&row, status, None, mv, Write::default()).await? {
                    self.metrics().alert(kind, channel, "deferred");
                    return Ok(Delivered::Deferred);
                }
                return Ok(Delivered::Skipped);
            }
            (Plan::SendAt(_), Some(contact)) => contact,
            (Plan::SendAt(_), None) => return Ok(Delivered::Skipped),
        };
        let Some(address) = contact.address(channel).cloned() else {
            return Ok(Delivered::Skipped);
        };
        let Some(transport) = self.inner.transports.get(channel).cloned() else {
            return Ok(Delivered::Skipped);
        };

        // Claim.
        let claim = self.step(status, SendEvent::Claim, channel)?;
        let token = uuid::Uuid::new_v4().to_string();
        let until =
            real_now() + chrono::Duration::from_std(self.settings().claim_ttl).unwrap_or_default();
        let write = Write {
            claim: Some(Some((token.clone(), until))),
            ..Write::default()
        };
        if !self.write(&row, status, None, claim, write).await? {
            return Ok(Delivered::Skipped);
        }
        let claimed = claim.to;
        maybe_crash(self.settings().crash_at, CrashPoint::AfterClaim);

        // Act, in the trace of the event the alert answers.
        let span = trace::send_span(row.traceparent.as_deref(), kind, channel);
        let outcome = self
            .act(
                &row,
                kind,
                channel,
                &contact.locale,
                address,
                transport.as_ref(),
            )
            .instrument(span.clone())
            .await;
        span.record("outcome", outcome.label());
        maybe_crash(self.settings().crash_at, CrashPoint::AfterSend);

        // Record.
        let after = self.now();
        let mv = self.step(claimed, outcome.event(), channel)?;
        let write = Write {
            last_error: Some(outcome.reason().map(str::to_owned)),
            provider_message_id: match &outcome {
                SendOutcome::Accepted { provider_id } => Some(provider_id.clone()),
                _ => None,
            },
            claim: Some(None),
            sent_at: matches!(outcome, SendOutcome::Accepted { .. }).then_some(after),
            ..Write::default()
        };
        if !self.write(&row, claimed, Some(&token), mv, write).await? {
            tracing::warn!("the claim was taken over before the outcome was recorded");
            return Ok(Delivered::Skipped);
        }
        let label = match mv.to.state {
            SendState::Pending => "retried",
            state => state.as_str(),
        };
        self.metrics().alert(kind, channel, label);
        tracing::Span::current().record("outcome", label);
        if let Some(reason) = outcome.reason() {
            tracing::info!(%reason, attempts = mv.to.attempts, "alert not sent");
        }
        Ok(Delivered::Attempted(mv.to.state))
    }

    /// Renders the alert and calls the provider (inside the `notifier.send` span).
    async fn act(
        &self,
        row: &Alert,
        kind: AlertKind,
        channel: Channel,
        locale: &str,
        address: SecretString,
        transport: &dyn Transport,
    ) -> SendOutcome {
        let facts: AlertFacts = row
            .facts
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok())
            .unwrap_or_default();
        let unsubscribe_url = (channel == Channel::Email)
            .then(|| {
                self.inner
                    .links
                    .unsubscribe_url(&row.user_id, kind, channel)
            })
            .flatten();
        let context = AlertContext {
            product: self.settings().product.clone(),
            facts,
            unsubscribe_url: unsubscribe_url.clone(),
        };
        match self.inner.templates.render(kind, locale, &context) {
            Err(e) => {
                tracing::error!(error = %e, "an alert template failed to render");
                SendOutcome::Rejected {
                    reason: "the alert template failed to render".into(),
                }
            }
            Ok(rendered) => {
                let message = Outgoing {
                    alert_id: row.id.clone(),
                    kind,
                    event_id: row.event_id.clone(),
                    user_id: row.user_id.clone(),
                    address,
                    rendered,
                    unsubscribe_url,
                };
                let started = Instant::now();
                let outcome = transport.send(&message).await;
                self.metrics().send_took(channel, started.elapsed());
                outcome
            }
        }
    }

    /// The state machine's answer, with fresh jitter.
    pub(super) fn step(
        &self,
        status: SendStatus,
        event: SendEvent,
        channel: Channel,
    ) -> Result<Move, NotifierError> {
        let jitter = rand::rng().random::<f64>();
        transition(status, event, channel, &self.settings().policy, jitter)
            .map_err(|refusal| NotifierError::Internal(anyhow::anyhow!("{refusal:?}")))
    }

    /// Writes `mv` (plus `write`'s extras) to `row` if it is still in `from` (and holds
    /// `claim_token`); whether it did.
    pub(super) async fn write(
        &self,
        row: &Alert,
        from: SendStatus,
        claim_token: Option<&str>,
        mv: Move,
        mut write: Write,
    ) -> Result<bool, NotifierError> {
        let now = self.now();
        write.to = Some(mv.to);
        write.due_at = match mv.due {
            Due::Keep => write.due_at,
            Due::In(by) => Some(Some(due_in(now, by))),
            Due::Never => Some(None),
        };
        if mv.to.state.is_final() {
            write.due_at = Some(None);
        }
        Ok(alerts::compare_and_set(self.db(), &row.id, from, claim_token, write, now).await?)
    }
}

fn due_in(now: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::days(3650));
    now.checked_add_signed(by).unwrap_or(now)
}
