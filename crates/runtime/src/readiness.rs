//! [`Readiness`]: whether a service should receive work now, from the checks it registers.
//!
//! Two kinds of check:
//!
//! - **live** checks are cheap, synchronous and read on every question (is the NATS client
//!   connected right now?);
//! - **probed** checks need a round trip (does the stream exist? does the database answer?),
//!   so [`Readiness::run`] refreshes them every interval and readers see the cached answer.
//!
//! A service is ready when it is not draining and every check passes. The answer drives
//! `/readyz` on the admin server and the serving status of gRPC health, so a load balancer and
//! a gRPC client see the same thing. [`Readiness::subscribe`] yields every change.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How long a probed check may take in [`Readiness::run`] before it counts as failing.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A check that needs a round trip; refreshed in the background.
pub type Probe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;
/// A cheap check read on every question.
pub type Live = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// One check's latest answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckStatus {
    /// The check's name (`nats`, `database`, `stream PLAID_WEBHOOKS`, ...).
    pub name: &'static str,
    /// `None` when it passes; why it fails otherwise.
    pub failure: Option<String>,
}

/// The readiness of one service. Share it as `Arc<Readiness>`.
pub struct Readiness {
    live: Vec<(&'static str, Live)>,
    probes: Vec<(&'static str, Probe)>,
    probed: Mutex<Vec<CheckStatus>>,
    draining: AtomicBool,
    changes: watch::Sender<bool>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness")
            .field("checks", &self.report())
            .field("draining", &self.draining.load(Ordering::Relaxed))
            .finish()
    }
}

/// Builds a [`Readiness`] from checks.
#[derive(Default)]
pub struct ReadinessBuilder {
    live: Vec<(&'static str, Live)>,
    probes: Vec<(&'static str, Probe)>,
}

impl ReadinessBuilder {
    /// Adds a cheap check read on every question.
    pub fn live(mut self, name: &'static str, check: Live) -> Self {
        self.live.push((name, check));
        self
    }

    /// Adds a check refreshed every interval by [`Readiness::run`].
    pub fn probe(mut self, name: &'static str, check: Probe) -> Self {
        self.probes.push((name, check));
        self
    }

    /// The readiness, not yet probed: every probed check counts as failing ("not checked yet")
    /// until [`Readiness::refresh`] runs.
    pub fn build(self) -> Arc<Readiness> {
        let probed = self
            .probes
            .iter()
            .map(|(name, _)| CheckStatus {
                name,
                failure: Some("not checked yet".to_owned()),
            })
            .collect();
        Arc::new(Readiness {
            live: self.live,
            probes: self.probes,
            probed: Mutex::new(probed),
            draining: AtomicBool::new(false),
            changes: watch::channel(false).0,
        })
    }
}

impl Readiness {
    /// A builder.
    pub fn builder() -> ReadinessBuilder {
        ReadinessBuilder::default()
    }

    /// Whether the service should receive work now.
    pub fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::Relaxed)
            && self.live.iter().all(|(_, check)| check().is_ok())
            && self
                .probed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .all(|c| c.failure.is_none())
    }

    /// Every check's latest answer (live ones evaluated now), and `draining` when shutting down.
    pub fn report(&self) -> Vec<CheckStatus> {
        let mut out: Vec<CheckStatus> = self
            .live
            .iter()
            .map(|(name, check)| CheckStatus {
                name,
                failure: check().err(),
            })
            .collect();
        out.extend(
            self.probed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        if self.draining.load(Ordering::Relaxed) {
            out.push(CheckStatus {
                name: "draining",
                failure: Some("shutting down".to_owned()),
            });
        }
        out
    }

    /// Marks the service as shutting down: not ready from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
        self.publish();
    }

    /// Whether [`Readiness::start_draining`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// A receiver of the readiness, updated whenever it changes (after each refresh).
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.changes.subscribe()
    }

    /// Runs every probed check once (each bounded by `timeout`) and updates the cached answers.
    pub async fn refresh(&self, timeout: Duration) {
        let mut statuses = Vec::with_capacity(self.probes.len());
        for (name, probe) in &self.probes {
            let failure = match tokio::time::timeout(timeout, probe()).await {
                Ok(Ok(())) => None,
                Ok(Err(why)) => Some(why),
                Err(_elapsed) => Some(format!("no answer within {timeout:?}")),
            };
            statuses.push(CheckStatus { name, failure });
        }
        let changed = {
            let mut probed = self.probed.lock().unwrap_or_else(PoisonError::into_inner);
            let changed = *probed != statuses;
            *probed = statuses;
            changed
        };
        if changed {
            for status in self.report() {
                match &status.failure {
                    Some(why) => tracing::warn!(check = status.name, %why, "not ready"),
                    None => tracing::debug!(check = status.name, "ok"),
                }
            }
        }
        self.publish();
    }

    /// Refreshes the probed checks every `interval` until `shutdown` is cancelled, then starts
    /// draining (so `/readyz` and gRPC health turn away new work at once).
    /// Each probe may take up to [`PROBE_TIMEOUT`] (or the interval, when longer): a database
    /// busy with a burst answers slowly, and that is not an outage.
    pub async fn run(self: Arc<Self>, interval: Duration, shutdown: CancellationToken) {
        let timeout = interval.max(PROBE_TIMEOUT);
        loop {
            self.refresh(timeout).await;
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(interval) => {}
            }
        }
        self.start_draining();
    }

    fn publish(&self) {
        let ready = self.is_ready();
        self.changes.send_if_modified(|current| {
            let changed = *current != ready;
            *current = ready;
            changed
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    fn flag_probe(flag: &Arc<AtomicBool>) -> Probe {
        let flag = Arc::clone(flag);
        Arc::new(move || {
            let ok = flag.load(Ordering::Relaxed);
            Box::pin(async move { if ok { Ok(()) } else { Err("down".to_owned()) } })
        })
    }

    #[tokio::test]
    async fn probed_checks_count_only_after_a_refresh_and_changes_are_published() {
        let up = Arc::new(AtomicBool::new(true));
        let readiness = Readiness::builder().probe("db", flag_probe(&up)).build();
        assert!(!readiness.is_ready(), "not checked yet");
        let mut changes = readiness.subscribe();
        readiness.refresh(Duration::from_secs(1)).await;
        assert!(readiness.is_ready());
        assert!(changes.has_changed().unwrap());
        assert!(*changes.borrow_and_update());

        up.store(false, Ordering::Relaxed);
        readiness.refresh(Duration::from_secs(1)).await;
        assert!(!readiness.is_ready());
        assert!(!*changes.borrow_and_update());
        let report = readiness.report();
        assert_eq!(report[0].failure.as_deref(), Some("down"));
    }

    #[tokio::test]
    async fn live_checks_and_draining_are_read_at_once() {
        let up = Arc::new(AtomicBool::new(true));
        let live_flag = Arc::clone(&up);
        let readiness = Readiness::builder()
            .live(
                "nats",
                Arc::new(move || {
                    if live_flag.load(Ordering::Relaxed) {
                        Ok(())
                    } else {
                        Err("disconnected".to_owned())
                    }
                }),
            )
            .build();
        assert!(readiness.is_ready());
        up.store(false, Ordering::Relaxed);
        assert!(!readiness.is_ready());
        up.store(true, Ordering::Relaxed);
        readiness.start_draining();
        assert!(!readiness.is_ready());
        assert!(readiness.report().iter().any(|c| c.name == "draining"));
    }

    #[tokio::test]
    async fn a_probe_that_hangs_fails_by_timeout() {
        let readiness = Readiness::builder()
            .probe(
                "slow",
                Arc::new(|| Box::pin(std::future::pending::<Result<(), String>>())),
            )
            .build();
        readiness.refresh(Duration::from_millis(20)).await;
        assert!(!readiness.is_ready());
        assert!(
            readiness.report()[0]
                .failure
                .as_deref()
                .unwrap()
                .contains("no answer")
        );
    }
}
