//! The stream settings `pennyctl streams apply` applies (`PENNY_STREAMS_*`), so an operator sets
//! them once for every service.

use std::time::Duration;

use clap::Args;
use penny_bus::{StreamSettings, Topology};
use penny_config::parse_duration;

use crate::bytes::parse_bytes;

/// Every stream's settings.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct TopologyArgs {
    /// Replicas of every stream: 1 on a single NATS server, 3 in a cluster.
    #[arg(long, env = "PENNY_STREAMS_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub replicas: u8,

    /// PLAID_WEBHOOKS: largest size (full: ingress answers 503 and Plaid retries).
    #[arg(long, env = "PENNY_STREAMS_WEBHOOKS_MAX_BYTES", default_value = "1GiB", value_parser = parse_bytes)]
    pub webhooks_max_bytes: i64,

    /// PLAID_WEBHOOKS: how long webhooks are kept (replay window).
    #[arg(long, env = "PENNY_STREAMS_WEBHOOKS_MAX_AGE", default_value = "8days", value_parser = parse_duration)]
    pub webhooks_max_age: Duration,

    /// PENNY_EVENTS: largest size.
    #[arg(long, env = "PENNY_STREAMS_EVENTS_MAX_BYTES", default_value = "1GiB", value_parser = parse_bytes)]
    pub events_max_bytes: i64,

    /// PENNY_EVENTS: how long domain events are kept.
    #[arg(long, env = "PENNY_STREAMS_EVENTS_MAX_AGE", default_value = "30days", value_parser = parse_duration)]
    pub events_max_age: Duration,

    /// DEAD_LETTERS: largest size.
    #[arg(long, env = "PENNY_STREAMS_DEAD_LETTERS_MAX_BYTES", default_value = "1GiB", value_parser = parse_bytes)]
    pub dead_letters_max_bytes: i64,

    /// DEAD_LETTERS: how long parked messages are kept.
    #[arg(long, env = "PENNY_STREAMS_DEAD_LETTERS_MAX_AGE", default_value = "90days", value_parser = parse_duration)]
    pub dead_letters_max_age: Duration,

    /// Every stream: the window in which a repeated `Nats-Msg-Id` is dropped as a duplicate.
    #[arg(long, env = "PENNY_STREAMS_DUPLICATE_WINDOW", default_value = "2m", value_parser = parse_duration)]
    pub duplicate_window: Duration,
}

impl TopologyArgs {
    /// The topology these settings describe.
    pub fn topology(&self) -> anyhow::Result<Topology> {
        let stream = |max_bytes: i64, max_age: Duration| StreamSettings {
            max_bytes,
            max_age: Some(max_age),
            duplicate_window: self.duplicate_window,
            replicas: usize::from(self.replicas),
            ..StreamSettings::default()
        };
        anyhow::ensure!(
            self.duplicate_window <= self.webhooks_max_age,
            "the duplicate window must not exceed a stream's max age"
        );
        Ok(Topology {
            plaid_webhooks: stream(self.webhooks_max_bytes, self.webhooks_max_age),
            penny_events: stream(self.events_max_bytes, self.events_max_age),
            dead_letters: stream(self.dead_letters_max_bytes, self.dead_letters_max_age),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_topology_defaults() {
        let args: TopologyArgs = penny_config::defaults();
        let topology = args.topology().unwrap();
        let defaults = Topology::default();
        for (got, want) in topology.configs().iter().zip(defaults.configs().iter()) {
            assert_eq!(got.max_bytes, want.max_bytes, "{}", got.name);
            assert_eq!(got.max_age, want.max_age, "{}", got.name);
            assert_eq!(got.duplicate_window, want.duplicate_window, "{}", got.name);
            assert_eq!(got.num_replicas, want.num_replicas, "{}", got.name);
        }
    }
}
