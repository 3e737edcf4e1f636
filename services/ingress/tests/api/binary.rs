//! The real `penny-ingress` binary as a child process, wired to a [`TestApp`]'s NATS and
//! sandbox, with its stdout (the JSON log) captured in a file. Killed on drop if a test fails
//! before it exits.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::helpers::TestApp;

/// A running `penny-ingress` process.
pub struct IngressBinary {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    log_dir: TempDir,
}

impl IngressBinary {
    /// Starts the binary on a free port against `app`'s NATS and sandbox, with `env` on top
    /// (e.g. `PENNY_LOG_FILTER`), and waits until `/readyz` answers 200.
    pub async fn start(app: &TestApp, env: &[(&str, &str)]) -> Self {
        let port = penny_testkit::free_port().expect("free port");
        let log_dir = tempfile::tempdir().expect("temp dir for the log");
        let stdout = File::create(log_dir.path().join("stdout.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_penny-ingress"))
            .env("PENNY_INGRESS_LISTEN", format!("127.0.0.1:{port}"))
            .env("PENNY_NATS_URL", app.nats.url())
            .env("PENNY_PLAID_BASE_URL", app.sandbox.base_url())
            .env("PENNY_LOG_FORMAT", "json")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::null())
            .spawn()
            .expect("penny-ingress starts");
        let binary = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log_dir,
        };
        let http = reqwest::Client::new();
        penny_testkit::poll_until(Duration::from_secs(20), || async {
            http.get(format!("{}/readyz", binary.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await
        .expect("the binary becomes ready");
        binary
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Everything the process wrote to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.log_dir.path().join("stdout.log")
    }
}

impl Drop for IngressBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
