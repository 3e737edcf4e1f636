//! [`Figures`]: one case's outcome as one line (`fault | webhooks sent | effects recorded |
//! lost | doubled | recovery time`) and, in full mode, as JSON for the README's table.

use std::fmt;

use anyhow::Context as _;
use penny_testkit::{DeliveryOutcome, WebhookAttempt};
use serde::Serialize;

/// The outcome of one case.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// The case (file name of its JSON).
    pub case: String,
    /// What struck, e.g. `kill -9 penny-verification ×2`.
    pub fault: String,
    /// Members in the burst.
    pub members: usize,
    /// The case's webhooks the sandbox sent (`AUTH / AUTOMATICALLY_VERIFIED`, or the
    /// `BANK_TRANSFERS_EVENTS_UPDATE` pokes): injected duplicates each count, dropped ones do
    /// not.
    pub webhooks_sent: usize,
    /// Their delivery attempts (retries included).
    pub delivery_attempts: usize,
    /// Attempts ingress did not answer 200 (the sandbox retries them).
    pub refused_attempts: usize,
    /// Webhooks a fault dropped (never sent).
    pub dropped: usize,
    /// Effects recorded: verified accounts, `verified` events, emails, pushes.
    pub effects_recorded: usize,
    /// Effects missing.
    pub lost: usize,
    /// Effects beyond one each.
    pub doubled: usize,
    /// Messages parked in `DEAD_LETTERS`.
    pub parked: u64,
    /// From the fault's end until the last effect arrived, in seconds.
    pub recovery_seconds: f64,
    /// The seed of the case's random points.
    pub seed: u64,
    /// Full length (`PENNY_FAULTS_FULL=1`).
    pub full: bool,
}

impl Figures {
    /// Fills the webhook columns from the sandbox's delivery log of the case's webhooks.
    pub fn count_webhooks(&mut self, attempts: &[WebhookAttempt]) {
        let mut deliveries = std::collections::HashSet::new();
        for attempt in attempts {
            match attempt.outcome {
                DeliveryOutcome::Dropped => self.dropped += 1,
                DeliveryOutcome::Failed => {
                    self.refused_attempts += 1;
                    self.delivery_attempts += 1;
                    deliveries.insert(attempt.delivery_id);
                }
                _ => {
                    self.delivery_attempts += 1;
                    deliveries.insert(attempt.delivery_id);
                }
            }
        }
        self.webhooks_sent = deliveries.len();
    }

    /// Writes `bench/results/faults/<case>.json` under the workspace root.
    pub fn write_json(&self) -> anyhow::Result<()> {
        let dir = penny_testkit::workspace_root().join("bench/results/faults");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{}.json", self.case));
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(&path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "figures: {} | {} webhooks sent ({} attempts, {} refused, {} dropped) | {} effects \
             recorded | {} lost | {} doubled | {} parked | recovered {:.1} s after the fault \
             ended (seed {})",
            self.fault,
            self.webhooks_sent,
            self.delivery_attempts,
            self.refused_attempts,
            self.dropped,
            self.effects_recorded,
            self.lost,
            self.doubled,
            self.parked,
            self.recovery_seconds,
            self.seed
        )
    }
}
