//! Outcomes nobody recorded, and the operator's verdicts.
//!
//! A claim that ran out (its sender died or hung between the claim and the record) says
//! nothing about the provider: the message may be there. So it becomes `unknown`, counted and
//! shown, never `pending` directly. From there email and push are resent with the same id after
//! the reconciliation delay ([`super::deliver`]); SMS waits for an operator
//! (`penny-notifier alerts resolve <id> sent|failed|resend`).

use super::{Notifier, NotifierError, real_now};
use crate::domain::{AlertKind, Channel, Resolution, SendEvent, SendState};
use crate::store::alerts::{self, Alert, Write};

/// What the stale-claim sweep found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Alerts moved to `unknown`.
    pub unknown: usize,
}

impl Notifier {
    /// Moves alerts whose claim ran out to `unknown` (at most `limit`).
    pub async fn expire_claims(&self, limit: u64) -> Result<Reconciled, NotifierError> {
        let stale = alerts::stale_claims(self.db(), real_now(), limit).await?;
        let mut report = Reconciled::default();
        for row in stale {
            if self.expire_claim(&row).await? {
                report.unknown += 1;
            }
        }
        Ok(report)
    }

    async fn expire_claim(&self, row: &Alert) -> Result<bool, NotifierError> {
        let status = alerts::status_of(row).map_err(anyhow::Error::msg)?;
        let channel: Channel = row.channel.parse().map_err(anyhow::Error::msg)?;
        let kind: AlertKind = row.kind.parse().map_err(anyhow::Error::msg)?;
        let mv = self.step(status, SendEvent::ClaimExpired, channel)?;
        let write = Write {
            last_error: Some(Some(
                "the sender stopped before recording the outcome: it may have been sent".into(),
            )),
            claim: Some(None),
            ..Write::default()
        };
        let moved = self
            .write(row, status, row.claim_token.as_deref(), mv, write)
            .await?;
        if moved {
            tracing::warn!(alert_id = %row.id, %channel, "a claim ran out: outcome unknown");
            self.metrics().alert(kind, channel, "unknown");
        }
        Ok(moved)
    }

    /// An operator's verdict on an `unknown` alert; the state after.
    pub async fn resolve(
        &self,
        id: &str,
        resolution: Resolution,
    ) -> Result<SendState, NotifierError> {
        let row = alerts::find(self.db(), id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no alert {id}"))?;
        let status = alerts::status_of(&row).map_err(anyhow::Error::msg)?;
        let channel: Channel = row.channel.parse().map_err(anyhow::Error::msg)?;
        let mv = self
            .step(status, SendEvent::Resolve(resolution), channel)
            .map_err(|_| anyhow::anyhow!("alert {id} is {}, not unknown", row.state))?;
        let write = Write {
            sent_at: (resolution == Resolution::Sent).then(|| self.now()),
            last_error: Some(Some(format!("resolved by an operator: {resolution:?}"))),
            ..Write::default()
        };
        if !self.write(&row, status, None, mv, write).await? {
            return Err(anyhow::anyhow!("alert {id} changed meanwhile; look again").into());
        }
        Ok(mv.to.state)
    }

    /// Alerts whose outcome is unknown, oldest first (at most `limit`).
    pub async fn unknown_alerts(&self, limit: u64) -> Result<Vec<Alert>, NotifierError> {
        Ok(alerts::unknown(self.db(), limit).await?)
    }
}
