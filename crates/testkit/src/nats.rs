//! A real `nats-server` with JetStream per test: free port, temp store, killed on drop.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tempfile::TempDir;

use crate::tools::{find_binary, log_tail};

/// How long a start or restart may take before the test fails.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Pause between readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// File-store limit when a test names none: 1 TiB. The server's own default is 75% of the disk's
/// free space, and every stream's `max_bytes` is reserved against it when the stream is created,
/// so on a busy CI disk a test creating a few GiB-sized streams was refused ("insufficient storage
/// resources"). The reservation is bookkeeping only; tests write little.
const DEFAULT_MAX_FILE_STORE: u64 = 1 << 40;

/// Server options beyond the defaults (JetStream on, file store in the temp dir, a file-store
/// limit independent of the host's free disk, server-default limits otherwise), e.g. a tiny
/// `max_file_store` to test "stream full", or fsync on every message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsConfig {
    /// JetStream file-store limit in bytes for the whole server (default 1 TiB of reservation).
    pub max_file_store: Option<u64>,
    /// JetStream memory-store limit in bytes.
    pub max_memory_store: Option<u64>,
    /// `sync_interval: always`: fsync before every publish ack.
    pub sync_always: bool,
    /// Largest message payload the server accepts, in bytes (server default 1 MiB).
    pub max_payload: Option<u32>,
}

/// A running `nats-server -js` owned by a test. Dropping it kills the server and deletes its
/// store. [`stop`](Self::stop) / [`restart`](Self::restart) simulate an outage: the restarted
/// server listens on the same port with the same store, so clients reconnect and streams survive.
#[derive(Debug)]
pub struct NatsServer {
    dir: TempDir,
    binary: PathBuf,
    child: Option<Child>,
    port: u16,
    url: String,
}

impl NatsServer {
    /// Starts a server with default options and waits until JetStream answers.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with_config(NatsConfig::default()).await
    }

    /// Starts a server with `config` and waits until JetStream answers.
    pub async fn start_with_config(config: NatsConfig) -> anyhow::Result<Self> {
        let binary = find_binary("nats-server", "PENNY_NATS_SERVER")?;
        let dir = tempfile::Builder::new()
            .prefix("penny-nats-")
            .tempdir()
            .context("creating a temp dir for nats-server")?;
        std::fs::write(
            dir.path().join("nats.conf"),
            config_file(dir.path(), &config),
        )
        .context("writing nats.conf")?;
        let mut server = Self {
            dir,
            binary,
            child: None,
            port: 0,
            url: String::new(),
        };
        let pid = server.spawn(None)?;
        let ports_file = server.dir.path().join(format!("nats-server_{pid}.ports"));
        let deadline = Instant::now() + READY_TIMEOUT;
        let url = loop {
            if let Some(url) = read_ports_file(&ports_file) {
                break url;
            }
            if !server.is_running() {
                return Err(server.failure("exited at start-up"));
            }
            if Instant::now() >= deadline {
                return Err(server.failure("wrote no ports file"));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        };
        server.port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .with_context(|| format!("unexpected URL in the ports file: {url}"))?;
        server.url = url;
        server.wait_ready(deadline).await?;
        Ok(server)
    }

    /// Client URL, e.g. `nats://127.0.0.1:34567`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port the server listens on (kept across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory (kept across restarts).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("jetstream")
    }

    /// True while the server process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Connects a client (no reconnect tuning; tests that need it connect themselves).
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        async_nats::connect(&self.url)
            .await
            .with_context(|| format!("connecting to {}", self.url))
    }

    /// Kills the server (SIGKILL, like a crash) and keeps its store. No-op when stopped.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("killing nats-server")?;
            child.wait().context("waiting for nats-server to exit")?;
        }
        Ok(())
    }

    /// Freezes the server (SIGSTOP): its connections stay open but nothing is read or
    /// answered, like a server stalled on a full disk or a long GC pause. Clients see no error,
    /// only silence. [`thaw`](Self::thaw) resumes it; a frozen server is still killed on drop.
    ///
    /// Returns once every thread of the server is stopped: `kill` only queues the signal, and
    /// a thread in the middle of a request could otherwise still answer it.
    pub async fn freeze(&mut self) -> anyhow::Result<()> {
        let pid = self.signal("STOP")?;
        let deadline = Instant::now() + READY_TIMEOUT;
        while !all_threads_stopped(pid) {
            anyhow::ensure!(
                Instant::now() < deadline,
                "nats-server {pid} did not stop after SIGSTOP"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }

    /// Resumes a server stopped by [`freeze`](Self::freeze) (SIGCONT); it then processes
    /// whatever its clients sent meanwhile.
    pub fn thaw(&mut self) -> anyhow::Result<()> {
        self.signal("CONT").map(drop)
    }

    /// Sends `SIG<name>` to the running server with `kill(1)` (no unsafe code, no libc binding)
    /// and returns its pid.
    fn signal(&mut self, name: &str) -> anyhow::Result<u32> {
        let pid = self
            .child
            .as_ref()
            .map(Child::id)
            .context("nats-server is not running")?;
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()
            .context("running kill")?;
        anyhow::ensure!(status.success(), "kill -{name} {pid} failed: {status}");
        Ok(pid)
    }

    /// Starts the server again (stopping it first if it runs) on the same port with the same store,
    /// and waits until JetStream answers.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        // Another process may grab the port in between (rare); the error then says so.
        let deadline = Instant::now() + READY_TIMEOUT;
        self.spawn(Some(self.port))?;
        self.wait_ready(deadline).await
    }

    /// Spawns the process (port `-1` = pick a free one) and returns its pid.
    fn spawn(&mut self, port: Option<u16>) -> anyhow::Result<u32> {
        let dir = self.dir.path();
        let log = File::options()
            .create(true)
            .append(true)
            .open(dir.join("nats.log"))
            .context("opening nats.log")?;
        let port_arg = port.map_or_else(|| "-1".to_owned(), |p| p.to_string());
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(dir.join("nats.conf"))
            .args(["-a", "127.0.0.1", "-p", &port_arg, "--ports_file_dir"])
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawning {}", self.binary.display()))?;
        let pid = child.id();
        self.child = Some(child);
        Ok(pid)
    }

    /// Polls until a client connects and the JetStream account info answers; fails early when
    /// the process exits.
    async fn wait_ready(&mut self, deadline: Instant) -> anyhow::Result<()> {
        loop {
            if !self.is_running() {
                return Err(self.failure("exited"));
            }
            if jetstream_answers(&self.url).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.failure("JetStream not ready"));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// An error carrying the tail of the server log.
    fn failure(&self, what: &str) -> anyhow::Error {
        let log = log_tail(&self.dir.path().join("nats.log"), 2000);
        anyhow::anyhow!(
            "nats-server ({}) {what}; log tail:\n{log}",
            self.binary.display()
        )
    }

    /// The server's log file (stdout and stderr of every run), for debugging a failing test.
    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("nats.log")
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Whether every thread of process `pid` is in the stopped state (`T`), read from
/// `/proc/<pid>/task/*/stat` (Linux).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut any = false;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            return false;
        };
        // `pid (comm) S ...`: the state follows the last ')' (comm may contain spaces).
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        if !matches!(state, Some('T' | 't')) {
            return false;
        }
        any = true;
    }
    any
}

/// The URL from a `nats-server_<pid>.ports` file, once it is completely written.
fn read_ports_file(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["nats"][0].as_str().map(str::to_owned)
}

/// True when a client connects to `url` and JetStream answers an account-info request.
async fn jetstream_answers(url: &str) -> bool {
    let Ok(client) = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(1))
        .connect(url)
        .await
    else {
        return false;
    };
    let js = async_nats::jetstream::new(client);
    tokio::time::timeout(Duration::from_secs(2), js.query_account())
        .await
        .is_ok_and(|r| r.is_ok())
}

/// The server config file: JetStream with its store in `dir/jetstream` plus the options.
fn config_file(dir: &Path, config: &NatsConfig) -> String {
    let store = dir.join("jetstream");
    let mut s = String::from("jetstream {\n");
    let _ = writeln!(s, "  store_dir: {:?}", store.display().to_string());
    let max_file_store = config.max_file_store.unwrap_or(DEFAULT_MAX_FILE_STORE);
    let _ = writeln!(s, "  max_file_store: {max_file_store}");
    if let Some(n) = config.max_memory_store {
        let _ = writeln!(s, "  max_memory_store: {n}");
    }
    if config.sync_always {
        s.push_str("  sync_interval: always\n");
    }
    s.push_str("}\n");
    if let Some(n) = config.max_payload {
        let _ = writeln!(s, "max_payload: {n}");
    }
    s
}
