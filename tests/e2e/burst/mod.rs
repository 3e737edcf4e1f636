//! A burst through the whole pipeline, shared by the end-to-end benchmark and the fault suite:
//! a [`Cohort`] of accounts linked the way app backends link them (the sandbox's
//! micro-deposit Items exchanged through penny's gRPC API, each user's email and push contact
//! registered with the notifier), one [`trigger`] that makes the sandbox verify them all at once
//! (so it sends one signed `AUTH / AUTOMATICALLY_VERIFIED` webhook each), [`Progress`] read
//! from the services' own metrics while they drain, and the [`Effects`] counted at the end from
//! what penny serves, what it published and what the people received: lost and doubled.

mod cohort;
mod effects;
mod progress;
pub mod received;
mod undelivered;
mod usage;

pub use cohort::{Cohort, Member};
pub use effects::Effects;
pub use progress::{INTERVAL, Progress, Sample};
pub use undelivered::Senders;
pub use usage::{ProcessUsage, Usage};

use std::time::{Duration, Instant};

use crate::local::LocalStack;
use crate::morning::Clients;

/// How far the sandbox's clock moves to verify every pending account: its default delay
/// (`PENNY_SANDBOX_VERIFY_AFTER`, 24 h) and a minute, well before expiry (7 days).
pub const VERIFY_AFTER: Duration = Duration::from_secs(24 * 3600 + 60);

/// The sandbox verifies every pending automated micro-deposit account at once: its clock jumps
/// past their verification time, and its next tick (20 ms) sends their webhooks.
pub async fn trigger(stack: &LocalStack) -> anyhow::Result<()> {
    stack.sandbox().advance_clock(VERIFY_AFTER).await.map(drop)
}

/// Samples [`Progress`] every [`INTERVAL`] from `since` (the trigger) until `n` more emails
/// and `n` more pushes than at the start have arrived, or `deadline` has passed (the caller's
/// counts then show what is missing).
pub async fn drain(stack: &LocalStack, n: usize, since: Instant, deadline: Duration) -> Progress {
    let mut progress = Progress::starting_at(stack).await;
    let mut tick = tokio::time::interval(INTERVAL);
    loop {
        tick.tick().await;
        let sample = progress.sample(stack, since).await;
        let done = sample.emails >= n as f64 && sample.pushes >= n as f64;
        if done || since.elapsed() > deadline {
            return progress;
        }
    }
}

/// Counts [`Effects`] until none is lost or `deadline` passes (a fault may leave work to
/// retry); returns the last count.
pub async fn settle(
    stack: &LocalStack,
    clients: &Clients,
    cohort: &Cohort,
    deadline: Duration,
) -> anyhow::Result<Effects> {
    penny_testkit::last_until(
        deadline,
        INTERVAL,
        || Effects::count(stack, clients, cohort),
        |effects| effects.lost(cohort) == 0,
    )
    .await
}
