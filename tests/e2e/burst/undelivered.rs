//! [`Senders`]: for the members a burst left without effects, where their webhook is, from the
//! sandbox's delivery log (Plaid's side): still with the sender (no attempt answered 200 yet;
//! Plaid retries it later, and the reconciliation sweep covers one it gives up on), or answered
//! 200 by ingress and then lost inside penny, the only kind that is penny's fault.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use penny_testkit::{DeliveryOutcome, WebhookAttempt};

use super::{Cohort, Effects};
use crate::local::LocalStack;

/// Where the webhooks of the members without a `verified` event are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Senders {
    /// Members without a `verified` event.
    pub missing: usize,
    /// Of those, webhooks the sender still holds: every attempt so far failed.
    pub with_the_sender: usize,
    /// The most attempts any of those has had.
    pub max_attempts: u32,
    /// How their latest attempts ended (a status, or the transport error), and how often.
    pub last_failures: BTreeMap<String, usize>,
    /// Of those, webhooks ingress answered 200: accepted by penny and lost (must be 0).
    pub accepted: usize,
    /// Of those, no attempt in the log (the sandbox keeps the last 10,000 attempts).
    pub not_in_log: usize,
}

impl Senders {
    /// Reads the sandbox's delivery log for the members of `cohort` that `effects` finds
    /// without a `verified` event (nothing is read when there are none).
    pub async fn read(
        stack: &LocalStack,
        cohort: &Cohort,
        effects: &Effects,
    ) -> anyhow::Result<Self> {
        let missing: HashSet<&str> = cohort
            .members
            .iter()
            .map(|m| m.account_id.as_str())
            .filter(|account| !effects.events.contains_key(*account))
            .collect();
        if missing.is_empty() {
            return Ok(Self::default());
        }
        Ok(Self::classify(
            &missing,
            stack.sandbox().webhook_log().await?,
        ))
    }

    /// Where the webhooks of the `missing` accounts are, from delivery `attempts` (any order).
    pub fn classify(
        missing: &HashSet<&str>,
        attempts: impl IntoIterator<Item = WebhookAttempt>,
    ) -> Self {
        // Per account: (answered 200 at least once, attempts, how the latest attempt ended).
        let mut seen: HashMap<String, (bool, u32, String)> = HashMap::new();
        for attempt in attempts {
            let body: serde_json::Value = serde_json::from_str(&attempt.body).unwrap_or_default();
            let Some(account) = body["account_id"].as_str() else {
                continue;
            };
            if !missing.contains(account) {
                continue;
            }
            let entry = seen.entry(account.to_owned()).or_default();
            entry.0 |= attempt.outcome == DeliveryOutcome::Delivered;
            if attempt.attempt >= entry.1 {
                entry.1 = attempt.attempt;
                entry.2 = match (attempt.status, &attempt.error) {
                    (Some(status), _) => format!("HTTP {status}"),
                    (None, Some(error)) => error.chars().take(80).collect(),
                    (None, None) => "no answer".to_owned(),
                };
            }
        }
        let mut senders = Self {
            missing: missing.len(),
            ..Self::default()
        };
        for account in missing {
            match seen.get(*account) {
                None => senders.not_in_log += 1,
                Some((true, _, _)) => senders.accepted += 1,
                Some((false, attempts, last)) => {
                    senders.with_the_sender += 1;
                    senders.max_attempts = senders.max_attempts.max(*attempts);
                    *senders.last_failures.entry(last.clone()).or_default() += 1;
                }
            }
        }
        senders
    }
}

impl fmt::Display for Senders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} members without a verified event: {} webhooks still with the sender (every attempt \
             failed so far, at most {} attempts; Plaid retries later; latest failures {:?}), {} \
             answered 200 by ingress and lost inside penny, {} not in the sandbox's log (it keeps \
             the last 10,000 attempts)",
            self.missing,
            self.with_the_sender,
            self.max_attempts,
            self.last_failures,
            self.accepted,
            self.not_in_log
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(account: &str, n: u32, outcome: &str, status: Option<u16>) -> WebhookAttempt {
        serde_json::from_value(serde_json::json!({
            "delivery_id": 1,
            "attempt": n,
            "url": "http://127.0.0.1:1/plaid/webhook",
            "webhook_type": "AUTH",
            "webhook_code": "AUTOMATICALLY_VERIFIED",
            "body": serde_json::json!({ "account_id": account }).to_string(),
            "outcome": outcome,
            "status": status,
            "error": status.is_none().then_some("operation timed out"),
            "sim_time": "2026-12-04T00:00:00Z",
            "wall_time": "2026-12-04T00:00:00Z",
            "next_retry_at": null,
        }))
        .expect("a WebhookAttempt")
    }

    #[test]
    fn tells_the_senders_webhooks_from_penny_losses() {
        let missing: HashSet<&str> = ["held", "accepted", "absent"].into();
        let senders = Senders::classify(
            &missing,
            [
                attempt("held", 1, "failed", None),
                attempt("held", 4, "failed", Some(503)),
                attempt("held", 2, "failed", None),
                attempt("accepted", 1, "failed", None),
                attempt("accepted", 2, "delivered", Some(200)),
                attempt("fine", 1, "delivered", Some(200)),
            ],
        );
        assert_eq!(
            senders,
            Senders {
                missing: 3,
                with_the_sender: 1,
                max_attempts: 4,
                last_failures: [("HTTP 503".to_owned(), 1)].into(),
                accepted: 1,
                not_in_log: 1,
            }
        );
    }
}
