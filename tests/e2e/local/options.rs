//! [`LocalOptions`]: what a [`LocalStack`](super::LocalStack) starts: where its data and ports
//! are, the sandbox's clock, span export, which build of the binaries, SQLite or PostgreSQL,
//! how many verification replicas, and any extra settings per binary.

use std::path::PathBuf;

use super::Ports;
use crate::process::Profile;

/// What to start.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// SQLite files, the NATS store and the logs go here.
    pub data_dir: PathBuf,
    /// Where each part listens.
    pub ports: Ports,
    /// Simulated seconds per real second on the sandbox's clock.
    pub clock_speed: f64,
    /// Where every process exports its spans (OTLP/gRPC), if anywhere.
    pub otlp_endpoint: Option<String>,
    /// Each service's log filter.
    pub log_filter: String,
    /// Debug binaries (tests, `just up`) or release ones (benchmarks).
    pub profile: Profile,
    /// The admin URL of a PostgreSQL server: each service gets a fresh database of its own there
    /// (`penny_<service>`). `None`: SQLite files under the data directory.
    pub postgres: Option<String>,
    /// How many verification processes share its consumers (more than one needs `postgres`).
    pub verification_replicas: usize,
    /// Extra environment per binary, e.g. `("penny-verification", "PENNY_VERIFICATION_AUTH_GET_PER_CLIENT", "0")`;
    /// it overrides the stack's own settings of the same name.
    pub env: Vec<(&'static str, &'static str, String)>,
}

impl LocalOptions {
    /// The local defaults `just up` uses: `./data`, the services' default ports, 60 simulated
    /// seconds per second, debug binaries on SQLite, one replica each.
    pub fn defaults(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            ports: Ports::defaults(),
            clock_speed: 60.0,
            otlp_endpoint: None,
            log_filter: "info".into(),
            profile: Profile::Debug,
            postgres: None,
            verification_replicas: 1,
            env: Vec::new(),
        }
    }
}
