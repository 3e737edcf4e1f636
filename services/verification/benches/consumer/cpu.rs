//! CPU time of processes, from `/proc/<pid>/stat` (Linux; zero elsewhere): user and system time
//! of one process (all its threads), and of a PostgreSQL server (the postmaster and every
//! process whose parent it is).

use serde::Serialize;

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// CPU seconds spent in user space and in the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Cpu {
    pub user_s: f64,
    pub system_s: f64,
}

impl Cpu {
    /// What process `pid` has used so far (zero when it is gone).
    pub fn of(pid: u32) -> Self {
        stat(pid).map_or_else(Self::default, |s| s.own())
    }

    /// What a PostgreSQL server has used so far: the postmaster, the children it reaped
    /// (backends that ended: its `cutime`/`cstime`), and every live process whose parent it is.
    pub fn of_postgres(postmaster: u32) -> Self {
        let Some(master) = stat(postmaster) else {
            return Self::default();
        };
        let mut total = master.own() + master.reaped();
        for pid in pids() {
            if let Some(s) = stat(pid).filter(|s| s.ppid == postmaster) {
                total = total + s.own();
            }
        }
        total
    }

    /// User plus system seconds.
    pub fn total_s(self) -> f64 {
        self.user_s + self.system_s
    }

    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            user_s: (self.user_s - earlier.user_s).max(0.0),
            system_s: (self.system_s - earlier.system_s).max(0.0),
        }
    }
}

impl std::ops::Add for Cpu {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            user_s: self.user_s + other.user_s,
            system_s: self.system_s + other.system_s,
        }
    }
}

/// The fields of `/proc/<pid>/stat` this module reads.
struct Stat {
    ppid: u32,
    utime: u64,
    stime: u64,
    cutime: u64,
    cstime: u64,
}

impl Stat {
    fn own(&self) -> Cpu {
        Cpu {
            user_s: self.utime as f64 / TICKS_PER_SEC,
            system_s: self.stime as f64 / TICKS_PER_SEC,
        }
    }

    fn reaped(&self) -> Cpu {
        Cpu {
            user_s: self.cutime as f64 / TICKS_PER_SEC,
            system_s: self.cstime as f64 / TICKS_PER_SEC,
        }
    }
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After `(comm)` (which may hold spaces): state is field 3, ppid 4, utime 14, stime 15,
    // cutime 16, cstime 17 (1-based), i.e. indexes 0, 1, 11, 12, 13, 14 of the rest.
    let (_, rest) = text.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        ppid: u32::try_from(num(1)?).ok()?,
        utime: num(11)?,
        stime: num(12)?,
        cutime: num(13)?,
        cstime: num(14)?,
    })
}

/// Every pid in `/proc`.
pub fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc").map_or_else(
        |_| Vec::new(),
        |dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        },
    )
}

/// The command line of `pid`, one string per argument.
pub fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline")).map_or_else(
        |_| Vec::new(),
        |raw| {
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        },
    )
}

/// The pid of the process started with `program` and `flag <value>` among its arguments (e.g.
/// the postmaster started with `-p <port>`, nats-server with `--port`/`-p`).
pub fn find_process(program: &str, flag: &str, value: &str) -> Option<u32> {
    pids().into_iter().find(|pid| {
        let args = cmdline(*pid);
        args.first().is_some_and(|p| p.ends_with(program))
            && args.windows(2).any(|w| w[0] == flag && w[1] == value)
    })
}
