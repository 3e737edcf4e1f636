//! Webhook delivery: Plaid's body format (2-space indented JSON), `Plaid-Verification` signing,
//! retries (30 s, ×4 each time, for up to 24 h of simulated time), fault injection and a log.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use crate::clock::Clock;
use crate::faults::WebhookFaults;
use crate::keys::Keys;
use crate::outgoing::Outgoing;
use crate::scheduler::{Scheduler, Timer};

/// Log entries kept (oldest dropped first).
const LOG_CAPACITY: usize = 10_000;
/// Plaid stops retrying 24 h after the first attempt.
const RETRY_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// First retry delay; each next one is 4× longer.
const FIRST_RETRY: Duration = Duration::from_secs(30);

/// One entry of the delivery log.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Delivery id (duplicates injected by faults get their own).
    pub delivery_id: u64,
    /// Attempt number, 1 = first.
    pub attempt: u32,
    /// Receiver URL.
    pub url: String,
    pub webhook_type: String,
    pub webhook_code: String,
    /// Body as sent.
    pub body: String,
    /// `delivered` (200), `failed` (other status or transport error) or `dropped` (fault).
    pub outcome: &'static str,
    /// HTTP status received.
    pub status: Option<u16>,
    /// Transport error.
    pub error: Option<String>,
    /// Simulated time the attempt started.
    pub sim_time: String,
    /// Wall time of the attempt.
    pub wall_time: String,
    /// Simulated time of the next retry, if one is scheduled.
    pub next_retry_at: Option<String>,
}

/// Delay before retry number `attempt` (the attempt that just failed), or `None` when the next
/// attempt would fall outside Plaid's 24-hour window (measured from the first attempt).
pub fn retry_delay(failed_attempt: u32, elapsed: Duration) -> Option<Duration> {
    let factor = 4u32.checked_pow(failed_attempt.checked_sub(1)?)?;
    let delay = FIRST_RETRY.checked_mul(factor)?;
    (elapsed + delay <= RETRY_WINDOW).then_some(delay)
}

/// The delivery engine.
#[derive(Debug)]
pub struct Webhooks {
    client: reqwest::Client,
    keys: Arc<Keys>,
    clock: Arc<Clock>,
    scheduler: Arc<Scheduler>,
    log: Mutex<VecDeque<Attempt>>,
    faults: Mutex<WebhookFaults>,
    held: Mutex<Vec<Outgoing>>,
    next_id: AtomicU64,
    /// Slots for attempts in flight (`None`: no limit).
    slots: Option<Arc<Semaphore>>,
}

impl Webhooks {
    /// A delivery engine with the given per-attempt timeout, holding at most `concurrency`
    /// attempts in flight (`0`: no limit).
    pub fn new(
        keys: Arc<Keys>,
        clock: Arc<Clock>,
        scheduler: Arc<Scheduler>,
        timeout: Duration,
        concurrency: usize,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            client,
            keys,
            clock,
            scheduler,
            log: Mutex::new(VecDeque::new()),
            faults: Mutex::new(WebhookFaults::default()),
            held: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            slots: (concurrency > 0).then(|| Arc::new(Semaphore::new(concurrency))),
        })
    }

    /// The signing keys.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Sends `body` to `url` (applying webhook faults). Must run inside the Tokio runtime.
    pub fn send(self: &Arc<Self>, url: &str, body: &serde_json::Value) {
        let text = |k: &str| {
            body.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let bytes = match serde_json::to_vec_pretty(body) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                warn!(error = %e, "webhook body did not serialize");
                return;
            }
        };
        let make = |this: &Self| Outgoing {
            delivery_id: this.next_id.fetch_add(1, Ordering::Relaxed),
            url: url.to_owned(),
            webhook_type: text("webhook_type"),
            webhook_code: text("webhook_code"),
            body: bytes.clone(),
            first_attempt: None,
        };
        let (copies, window) = {
            let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
            let dropped = match f.drop_next.as_mut() {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => f
                    .drop_probability
                    .is_some_and(|p| rand::random::<f64>() < p),
            };
            if dropped {
                drop(f);
                let out = make(self);
                self.record(self.clock.now(), &out, 1, "dropped", None, None, None);
                return;
            }
            (f.duplicates.unwrap_or(1).max(1), f.reorder_window)
        };
        for _ in 0..copies {
            let out = make(self);
            match window {
                Some(n) => {
                    let release = {
                        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
                        held.push(out);
                        if held.len() >= n as usize {
                            std::mem::take(&mut *held)
                        } else {
                            Vec::new()
                        }
                    };
                    if !release.is_empty() {
                        self.deliver_in_order(release.into_iter().rev().collect());
                    }
                }
                None => self.deliver(out, 1),
            }
        }
    }

    /// Delivers held webhooks, newest first.
    pub fn flush_held(self: &Arc<Self>) -> usize {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(|e| e.into_inner()));
        let n = held.len();
        self.deliver_in_order(held.into_iter().rev().collect());
        n
    }

    /// Replaces the webhook faults.
    pub fn set_faults(&self, faults: WebhookFaults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// The webhook faults.
    pub fn faults(&self) -> WebhookFaults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The delivery log, oldest first.
    pub fn log(&self) -> Vec<Attempt> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Empties the delivery log.
    pub fn clear_log(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        at: DateTime<Utc>,
        out: &Outgoing,
        attempt: u32,
        outcome: &'static str,
        status: Option<u16>,
        error: Option<String>,
        next_retry_at: Option<DateTime<Utc>>,
    ) {
        let entry = Attempt {
            delivery_id: out.delivery_id,
            attempt,
            url: out.url.clone(),
            webhook_type: out.webhook_type.clone(),
            webhook_code: out.webhook_code.clone(),
            body: String::from_utf8_lossy(&out.body).into_owned(),
            outcome,
            status,
            error,
            sim_time: at.to_rfc3339(),
            wall_time: Utc::now().to_rfc3339(),
            next_retry_at: next_retry_at.map(|t| t.to_rfc3339()),
        };
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() >= LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }

    /// Makes attempt number `attempt` in a background task; schedules the retry on failure.
    pub fn deliver(self: &Arc<Self>, out: Outgoing, attempt: u32) {
        tokio::spawn(Arc::clone(self).attempt(out, attempt));
    }

    /// Delivers first attempts one after the other, in the given order (reorder fault).
    fn deliver_in_order(self: &Arc<Self>, outs: Vec<Outgoing>) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            for out in outs {
                Arc::clone(&this).attempt(out, 1).await;
            }
        });
    }

    async fn attempt(self: Arc<Self>, mut out: Outgoing, attempt: u32) {
        // Held until the attempt's outcome is known; never closed, so `acquire` cannot fail.
        let _slot = match &self.slots {
            Some(slots) => Arc::clone(slots).acquire_owned().await.ok(),
            None => None,
        };
        let now = self.clock.now();
        let first = *out.first_attempt.get_or_insert(now);
        let (status, error) = match self.post(&out).await {
            Ok(status) => (Some(status), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        if status == Some(200) {
            debug!(delivery_id = out.delivery_id, attempt, "webhook delivered");
            self.record(now, &out, attempt, "delivered", status, None, None);
            return;
        }
        let elapsed = (now - first).to_std().unwrap_or_default();
        let next = retry_delay(attempt, elapsed)
            .map(|d| now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX));
        warn!(
            delivery_id = out.delivery_id,
            attempt,
            ?status,
            retry = next.is_some(),
            "webhook delivery failed"
        );
        self.record(now, &out, attempt, "failed", status, error, next);
        if let Some(due) = next {
            self.scheduler.schedule(
                due,
                Timer::WebhookAttempt {
                    out,
                    attempt: attempt + 1,
                },
            );
        }
    }

    async fn post(&self, out: &Outgoing) -> anyhow::Result<u16> {
        let jwt = self.keys.sign(&out.body)?;
        let resp = self
            .client
            .post(&out.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Plaid-Verification", jwt)
            .body(out.body.clone())
            .send()
            .await?;
        Ok(resp.status().as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_schedule_is_plaids() {
        let mut elapsed = Duration::ZERO;
        let mut delays = Vec::new();
        let mut attempt = 1;
        while let Some(d) = retry_delay(attempt, elapsed) {
            delays.push(d.as_secs());
            elapsed += d;
            attempt += 1;
        }
        assert_eq!(delays, [30, 120, 480, 1_920, 7_680, 30_720]);
        assert!(elapsed <= RETRY_WINDOW);
        assert_eq!(retry_delay(0, Duration::ZERO), None);
    }
}
