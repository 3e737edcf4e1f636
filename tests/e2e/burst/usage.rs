//! [`Usage`]: CPU time and peak resident memory of every process of the stack and of the bench
//! itself ([`penny_testkit::cpu_seconds`], [`penny_testkit::peak_rss_mib`]: user + system time
//! and `VmHWM`, the high-water mark of the resident set since the process started), and the
//! whole machine's CPU time ([`penny_testkit::machine_cpu`]): what no process above used went
//! to PostgreSQL (its backends come and go) and anything else on the box.

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

/// The bench's own process: the push receiver, the probes, the progress samples.
pub const BENCH: &str = "bench (push receiver, probes)";

/// Every process of the stack by name (`penny-ingress`, `penny-verification-2`, `nats-server`),
/// the bench ([`BENCH`]), and the machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// By process name.
    pub processes: BTreeMap<String, ProcessUsage>,
    /// CPU seconds the whole machine ran anything, summed over its cores.
    #[serde(default)]
    pub machine_busy_seconds: f64,
    /// CPU seconds the hypervisor gave the machine's cores to someone else.
    #[serde(default)]
    pub machine_steal_seconds: f64,
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
        let me = std::process::id();
        let bench = ProcessUsage {
            cpu_seconds: penny_testkit::cpu_seconds(me)?,
            peak_rss_mib: penny_testkit::peak_rss_mib(me)?,
        };
        processes.insert(BENCH.to_owned(), bench);
        let machine = penny_testkit::machine_cpu()?;
        Ok(Self {
            processes,
            machine_busy_seconds: machine.busy,
            machine_steal_seconds: machine.steal,
        })
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
        Usage {
            processes,
            machine_busy_seconds: self.machine_busy_seconds - earlier.machine_busy_seconds,
            machine_steal_seconds: self.machine_steal_seconds - earlier.machine_steal_seconds,
        }
    }
}
