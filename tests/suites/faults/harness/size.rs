//! [`Size`]: how large a case runs: short by default (fits `just test`), full with
//! `PENNY_FAULTS_FULL=1` (`just test-faults`).

use std::time::Duration;

/// Members and faults of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Members in the burst (webhooks the sandbox sends).
    pub n: usize,
    /// How many times the fault strikes (kills, outages).
    pub faults: usize,
    /// Full length: figures are also written to `bench/results/faults/`.
    pub full: bool,
}

impl Size {
    /// Short: a burst of `n`, two faults. Full (`PENNY_FAULTS_FULL=1`): 1,500 members, twenty
    /// faults.
    pub fn from_env(short_n: usize) -> Self {
        let full = std::env::var("PENNY_FAULTS_FULL").is_ok_and(|v| v == "1");
        if full {
            Self {
                n: 1_500,
                faults: 20,
                full,
            }
        } else {
            Self {
                n: short_n,
                faults: 2,
                full,
            }
        }
    }

    /// How long a case may wait for its effects after the fault ended: more for a full burst.
    pub fn settle_deadline(&self) -> Duration {
        if self.full {
            Duration::from_secs(300)
        } else {
            Duration::from_secs(45)
        }
    }
}
