//! Keeping other work out of the numbers: on a small shared machine a compiler running next to
//! the benchmark changes everything. Each timed phase starts only when the CPUs are idle, and a
//! [`Meter`] measures how much CPU processes other than the benchmark's own took during the
//! phase, so a contaminated run can be repeated.

use std::time::Duration;

/// Machine-wide CPU time from the first line of `/proc/stat`, in jiffies (1/100 s per CPU).
#[derive(Debug, Clone, Copy)]
pub struct CpuTimes {
    /// user + nice + system: time some process or kernel thread ran, and is charged to it.
    pub tasks: u64,
    /// irq + softirq: interrupt work charged to no process. On this benchmark that is almost
    /// all the loopback network stack carrying its own traffic (several % of the machine at
    /// 12k requests/s), so it must not count as another process disturbing the run.
    pub interrupts: u64,
    /// Time the hypervisor gave our virtual CPUs to someone else.
    pub steal: u64,
    /// Everything, idle included.
    pub total: u64,
}

impl CpuTimes {
    /// Reads `/proc/stat` (None where there is none).
    pub fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?;
        let f: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        Some(Self {
            tasks: at(0) + at(1) + at(2),
            interrupts: at(5) + at(6),
            steal: at(7),
            total: f.iter().take(8).sum(),
        })
    }

    /// Busy time (everything but idle and iowait).
    pub fn busy(&self) -> u64 {
        self.tasks + self.interrupts + self.steal
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            tasks: self.tasks.saturating_sub(earlier.tasks),
            interrupts: self.interrupts.saturating_sub(earlier.interrupts),
            steal: self.steal.saturating_sub(earlier.steal),
            total: self.total.saturating_sub(earlier.total),
        }
    }
}

/// Fraction of CPU time busy during `window`.
pub async fn busy_fraction(window: Duration) -> Option<f64> {
    let t0 = CpuTimes::now()?;
    tokio::time::sleep(window).await;
    let d = CpuTimes::now()?.since(&t0);
    (d.total > 0).then(|| d.busy() as f64 / d.total as f64)
}

/// Kilobytes of dirty or under-writeback page cache (`/proc/meminfo`): the JetStream file
/// store's writes of the previous phase, which the kernel flushes in bursts that stall writers.
fn dirty_kib() -> u64 {
    let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else {
        return 0;
    };
    meminfo
        .lines()
        .filter(|l| l.starts_with("Dirty:") || l.starts_with("Writeback:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

/// Waits (up to `max_wait`) until the machine is less than 10 % busy and the page cache holds
/// less than 32 MiB of unwritten data; returns the busy fraction finally seen.
pub async fn wait_for_quiet(max_wait: Duration) -> f64 {
    let deadline = tokio::time::Instant::now() + max_wait;
    let mut warned = false;
    loop {
        let busy = busy_fraction(Duration::from_millis(500))
            .await
            .unwrap_or(0.0);
        let settled = busy < 0.10 && dirty_kib() < 32 * 1024;
        if settled || tokio::time::Instant::now() >= deadline {
            return busy;
        }
        if !warned {
            eprintln!(
                "  (machine {:.0}% busy, {} MiB not yet written back; waiting for it to settle)",
                busy * 100.0,
                dirty_kib() / 1024
            );
            warned = true;
        }
    }
}

/// CPU seconds (user + system) used so far by process `pid` (0 when it cannot be read).
pub fn cpu_seconds(pid: u32) -> f64 {
    penny_testkit::cpu_seconds(pid).unwrap_or(0.0)
}

/// Pids of `nats-server` processes listening on `port`.
pub fn nats_pids(port: u16) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let port = port.to_string();
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.contains("nats-server") && (c.contains(&port) || c.contains(".conf"))
            })
        })
        .collect()
}

/// What a [`Meter`] saw over one phase, as shares of the machine.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Disturbance {
    /// CPU that processes other than the benchmark's own took, plus steal by the hypervisor.
    pub foreign: f64,
    /// Interrupt time (the network stack carrying the benchmark's traffic), for the record.
    pub interrupts: f64,
}

/// Measures the CPU other processes took while a phase ran.
pub struct Meter {
    ours: Vec<u32>,
    start_ours: f64,
    start: Option<CpuTimes>,
}

impl Meter {
    /// Starts measuring; `ours` are the benchmark's processes (itself, servers, nats-server).
    pub fn start(ours: Vec<u32>) -> Self {
        let start_ours = ours.iter().map(|p| cpu_seconds(*p)).sum();
        Self {
            ours,
            start_ours,
            start: CpuTimes::now(),
        }
    }

    /// What other processes and the hypervisor took since `start`.
    pub fn disturbance(&self) -> Disturbance {
        let (Some(t0), Some(t1)) = (self.start, CpuTimes::now()) else {
            return Disturbance::default();
        };
        let d = t1.since(&t0);
        let total = d.total as f64;
        if total <= 0.0 {
            return Disturbance::default();
        }
        let ours: f64 = self.ours.iter().map(|p| cpu_seconds(*p)).sum::<f64>() - self.start_ours;
        // jiffies are 1/100 s per CPU; `ours` is in CPU seconds.
        let others = (d.tasks as f64 - ours * 100.0).max(0.0);
        Disturbance {
            foreign: (others + d.steal as f64) / total,
            interrupts: d.interrupts as f64 / total,
        }
    }
}
