//! [`Usage`]: CPU time and peak resident memory of every process of the stack
//! ([`penny_testkit::cpu_seconds`], [`penny_testkit::peak_rss_mib`]: user + system time and
//! `VmHWM`, the high-water mark of the resident set since the process started).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::local::LocalStack;

/// One process at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    /// User + system CPU seconds since it started.
    pub cpu_seconds: f64,
    /// Peak resident set since it started, in MiB.
    pub peak_rss_mib: f64,
}

/// Every process of the stack by name (`penny-ingress`, `penny-verification-2`, `nats-server`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// By process name.
    pub processes: BTreeMap<String, ProcessUsage>,
}

impl Usage {
    /// Reads every running process of `stack`.
    pub fn read(stack: &LocalStack) -> anyhow::Result<Self> {
        let mut processes = BTreeMap::new();
        for (name, pid) in stack.pids() {
            let usage = ProcessUsage {
                cpu_seconds: penny_testkit::cpu_seconds(pid)?,
                peak_rss_mib: penny_testkit::peak_rss_mib(pid)?,
            };
            processes.insert(name, usage);
        }
        Ok(Self { processes })
    }

    /// CPU seconds each process spent since `earlier`; peak RSS as of now.
    pub fn since(&self, earlier: &Usage) -> Usage {
        let processes = self
            .processes
            .iter()
            .map(|(name, now)| {
                let before = earlier.processes.get(name).copied().unwrap_or_default();
                let used = ProcessUsage {
                    cpu_seconds: now.cpu_seconds - before.cpu_seconds,
                    peak_rss_mib: now.peak_rss_mib,
                };
                (name.clone(), used)
            })
            .collect();
        Usage { processes }
    }
}
