//! Keeping other work out of the numbers on a small shared machine: a timed drain starts only
//! once the CPUs are idle and the page cache has written back, and a [`Meter`] records how much
//! of the machine other processes took while it ran (reported, so a disturbed run can be told).

use std::time::Duration;

use serde::Serialize;

/// Machine-wide CPU time from the first line of `/proc/stat`, in jiffies.
#[derive(Clone, Copy, Debug)]
struct Machine {
    /// user + nice + system: time charged to some process or kernel thread.
    tasks: u64,
    /// irq + softirq + steal: interrupts (mostly loopback traffic) and the hypervisor.
    other_busy: u64,
    steal: u64,
    total: u64,
}

impl Machine {
    fn now() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        let f: Vec<u64> = text
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        Some(Self {
            tasks: at(0) + at(1) + at(2),
            other_busy: at(5) + at(6) + at(7),
            steal: at(7),
            total: f.iter().take(8).sum(),
        })
    }

    fn busy_since(&self, t0: &Self) -> f64 {
        let total = self.total.saturating_sub(t0.total).max(1) as f64;
        let busy = (self.tasks + self.other_busy).saturating_sub(t0.tasks + t0.other_busy);
        busy as f64 / total
    }
}

/// Kilobytes of dirty or under-writeback page cache (`/proc/meminfo`).
fn dirty_kib() -> u64 {
    std::fs::read_to_string("/proc/meminfo").map_or(0, |m| {
        m.lines()
            .filter(|l| l.starts_with("Dirty:") || l.starts_with("Writeback:"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    })
}

/// Waits (at most `max_wait`) until the machine is under 10 % busy over half a second and less
/// than 32 MiB wait to be written back (running `sync` when more do); returns the busy share
/// last seen.
pub async fn wait_for_quiet(max_wait: Duration) -> f64 {
    let deadline = tokio::time::Instant::now() + max_wait;
    let mut warned = false;
    loop {
        let Some(t0) = Machine::now() else { return 0.0 };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let busy = Machine::now().map_or(0.0, |t1| t1.busy_since(&t0));
        if (busy < 0.10 && dirty_kib() < 32 * 1024) || tokio::time::Instant::now() >= deadline {
            return busy;
        }
        if dirty_kib() >= 32 * 1024 {
            // The page cache of the previous phase (SQLite, JetStream files): write it back
            // now instead of waiting for the kernel's 30 s expiry.
            let _ = tokio::process::Command::new("sync").status().await;
        }
        if !warned {
            crate::say(format!(
                "    (machine {:.0}% busy, {} MiB not written back; waiting for quiet)",
                busy * 100.0,
                dirty_kib() / 1024
            ));
            warned = true;
        }
    }
}

/// The share of the machine that others took during a timed phase.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Disturbance {
    /// CPU of processes other than the benchmark's own, plus hypervisor steal.
    pub foreign: f64,
    /// The whole machine's busy share (ours included).
    pub busy: f64,
}

/// Measures what processes other than `ours` took while a phase ran.
pub struct Meter {
    start: Option<Machine>,
    ours_at_start: f64,
}

impl Meter {
    /// Starts measuring; `ours_cpu` is the CPU seconds of the benchmark's processes so far.
    pub fn start(ours_cpu: f64) -> Self {
        Self {
            start: Machine::now(),
            ours_at_start: ours_cpu,
        }
    }

    /// What others took since [`Meter::start`]; `ours_cpu` as there, now.
    pub fn finish(&self, ours_cpu: f64) -> Disturbance {
        let (Some(t0), Some(t1)) = (self.start, Machine::now()) else {
            return Disturbance::default();
        };
        let total = t1.total.saturating_sub(t0.total).max(1) as f64;
        // Jiffies are 1/100 s per CPU; `ours` is in CPU seconds.
        let ours = (ours_cpu - self.ours_at_start) * 100.0;
        let others = (t1.tasks.saturating_sub(t0.tasks) as f64 - ours).max(0.0);
        Disturbance {
            foreign: (others + t1.steal.saturating_sub(t0.steal) as f64) / total,
            busy: t1.busy_since(&t0),
        }
    }
}
