//! A process's CPU time and peak memory, and the whole machine's CPU time, read from `/proc`
//! (Linux): what the benchmarks report per service and for the box. [`cpu_seconds`] is user +
//! system time from `/proc/<pid>/stat`; [`peak_rss_mib`] is `VmHWM` from `/proc/<pid>/status`,
//! the high-water mark of the resident set since the process started; [`machine_cpu`] is the
//! first line of `/proc/stat`.

use std::sync::OnceLock;

use anyhow::Context as _;

/// User + system CPU seconds process `pid` has used since it started.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The fields after the command name (which may hold spaces) start after its ')'; utime
    // and stime are fields 14 and 15 of the line, 11 and 12 after the name.
    let rest = stat.rsplit_once(')').context("malformed stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| -> anyhow::Result<f64> {
        Ok(fields.get(i).context("short stat")?.parse::<f64>()?)
    };
    Ok((tick(11)? + tick(12)?) / clock_ticks())
}

/// Process `pid`'s peak resident set (`VmHWM`) in MiB.
pub fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .context("no VmHWM")?
        .parse()?;
    Ok(kib / 1024.0)
}

/// The whole machine's CPU time since boot, summed over its CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MachineCpu {
    /// Seconds spent running anything: user, nice, system, irq and softirq (guest time is
    /// inside user).
    pub busy: f64,
    /// Seconds the hypervisor ran someone else while this machine had work (steal): a shared
    /// host's noise, in the same unit.
    pub steal: f64,
}

/// The machine's CPU time now (`/proc/stat`, in `USER_HZ` ticks, 100 per second on Linux).
pub fn machine_cpu() -> anyhow::Result<MachineCpu> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .context("no cpu line in /proc/stat")?;
    let ticks = line
        .split_whitespace()
        .skip(1)
        .map(str::parse::<f64>)
        .collect::<Result<Vec<_>, _>>()
        .context("malformed cpu line in /proc/stat")?;
    let at = |i: usize| ticks.get(i).copied().unwrap_or(0.0);
    // user nice system idle iowait irq softirq steal guest guest_nice
    let busy = at(0) + at(1) + at(2) + at(5) + at(6);
    Ok(MachineCpu {
        busy: busy / 100.0,
        steal: at(7) / 100.0,
    })
}

/// `getconf CLK_TCK`, the unit of `/proc/<pid>/stat` times (100 when it cannot be asked).
fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spins until this process has used `seconds` of CPU (it counts in clock ticks, and a busy
    /// machine may not run this thread for a while): it must, well within the deadline.
    fn spin_until_counted(seconds: f64) {
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while cpu_seconds(std::process::id()).unwrap() < seconds {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(30),
                "30 s of spinning and no CPU time counted"
            );
            for _ in 0..100_000 {
                x = x.wrapping_add(std::hint::black_box(1));
            }
        }
        assert!(x > 0);
    }

    #[test]
    fn this_process_has_used_cpu_and_memory() {
        let pid = std::process::id();
        let before = cpu_seconds(pid).unwrap();
        spin_until_counted(before + 0.01);
        let rss = peak_rss_mib(pid).unwrap();
        assert!(rss > 1.0 && rss < 10_000.0, "{rss} MiB");
    }

    #[test]
    fn the_machine_counts_at_least_this_process_s_cpu_time() {
        let before = machine_cpu().unwrap();
        let mine_before = cpu_seconds(std::process::id()).unwrap();
        spin_until_counted(mine_before + 0.2);
        let after = machine_cpu().unwrap();
        let mine = cpu_seconds(std::process::id()).unwrap() - mine_before;
        // Both count in ticks of 10 ms: allow a few of rounding.
        assert!(
            after.busy - before.busy >= mine - 0.05,
            "machine busy {} s, this process {mine} s",
            after.busy - before.busy
        );
        assert!(after.steal >= before.steal);
    }

    #[test]
    fn a_process_that_does_not_exist_is_an_error() {
        assert!(cpu_seconds(u32::MAX).is_err());
        assert!(peak_rss_mib(u32::MAX).is_err());
    }
}
