//! [`Usage`]: CPU time and peak resident memory of every process of the stack, from
//! `/proc/<pid>/stat` (user + system time) and `/proc/<pid>/status` (`VmHWM`, the high-water
//! mark of the resident set since the process started).

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
        let ticks = clock_ticks()?;
        let mut processes = BTreeMap::new();
        for (name, pid) in stack.pids() {
            processes.insert(name, read_pid(pid, ticks)?);
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

/// `getconf CLK_TCK`: the unit of `/proc/<pid>/stat` times.
fn clock_ticks() -> anyhow::Result<f64> {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

fn read_pid(pid: u32, ticks: f64) -> anyhow::Result<ProcessUsage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces, inside parentheses).
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name and pid.
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let hwm_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    Ok(ProcessUsage {
        cpu_seconds: (tick(11) + tick(12)) / ticks,
        peak_rss_mib: hwm_kib / 1024.0,
    })
}
