//! [`Shared`]: what every message task of one consumer loop shares (the loop creates it, each
//! message's settlement reads it, and records its waits there).

use std::time::Duration;

use super::{ConsumerMetrics, RetryPolicy, waits::Waits};
use crate::DeadLetters;

/// Policy, dead letters and names, shared by the tasks of one loop.
pub(super) struct Shared {
    pub(super) policy: RetryPolicy,
    pub(super) dead_letters: DeadLetters,
    pub(super) ack_wait: Duration,
    pub(super) consumer: String,
    pub(super) stream: String,
    pub(super) metrics: Option<ConsumerMetrics>,
    /// Which deliveries were waits, not failures.
    pub(super) waits: Waits,
}

impl Shared {
    /// How many times the message at `seq`, delivered `delivered` times, has failed.
    pub(super) fn failures(&self, seq: u64, delivered: u64) -> u64 {
        self.waits.failures(seq, delivered)
    }
}
