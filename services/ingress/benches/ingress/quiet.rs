//! Keeping other work out of the numbers: on a small shared machine a compiler running next to
//! the benchmark changes everything. Each timed phase starts only when the CPUs are idle, and a
//! [`Meter`] measures how much CPU processes other than the benchmark's own took during the
//! phase, so a contaminated run can be repeated.

use std::time::Duration;

/// (busy, total) jiffies over all CPUs from `/proc/stat`.
pub fn cpu_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = fields.iter().take(8).sum();
    let idle = fields.get(3)? + fields.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// Fraction of CPU time busy during `window`.
pub async fn busy_fraction(window: Duration) -> Option<f64> {
    let (b0, t0) = cpu_jiffies()?;
    tokio::time::sleep(window).await;
    let (b1, t1) = cpu_jiffies()?;
    let total = t1.saturating_sub(t0);
    (total > 0).then(|| b1.saturating_sub(b0) as f64 / total as f64)
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

/// CPU seconds (user + system) used so far by process `pid` (Linux `/proc`; 0 elsewhere).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after `(comm)`: state is field 3, utime 14 and stime 15 (1-based).
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
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

/// Measures the CPU other processes took while a phase ran.
pub struct Meter {
    ours: Vec<u32>,
    start_ours: f64,
    start: Option<(u64, u64)>,
}

impl Meter {
    /// Starts measuring; `ours` are the benchmark's processes (itself, servers, nats-server).
    pub fn start(ours: Vec<u32>) -> Self {
        let start_ours = ours.iter().map(|p| cpu_seconds(*p)).sum();
        Self {
            ours,
            start_ours,
            start: cpu_jiffies(),
        }
    }

    /// CPU taken by other processes since `start`, as a fraction of the machine.
    pub fn foreign(&self) -> f64 {
        let (Some((b0, t0)), Some((b1, t1))) = (self.start, cpu_jiffies()) else {
            return 0.0;
        };
        let total = t1.saturating_sub(t0) as f64;
        if total <= 0.0 {
            return 0.0;
        }
        let ours: f64 = self.ours.iter().map(|p| cpu_seconds(*p)).sum::<f64>() - self.start_ours;
        let busy = b1.saturating_sub(b0) as f64;
        // jiffies are 1/100 s per CPU; `ours` is in CPU seconds.
        ((busy - ours * 100.0) / total).max(0.0)
    }
}
