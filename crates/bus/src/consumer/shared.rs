//! [`Shared`]: what every message task of one consumer loop shares (the loop creates it, each
//! message's settlement reads it).

use std::time::Duration;

use super::{ConsumerMetrics, RetryPolicy};
use crate::DeadLetters;

/// Policy, dead letters and names, shared by the tasks of one loop.
pub(super) struct Shared {
    pub(super) policy: RetryPolicy,
    pub(super) dead_letters: DeadLetters,
    pub(super) ack_wait: Duration,
    pub(super) consumer: String,
    pub(super) stream: String,
    pub(super) metrics: Option<ConsumerMetrics>,
}
