//! [`ChildProcess`]: a service binary (or any program) a test or a benchmark started, logging
//! to a file; it can be waited for, terminated gracefully, and is killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context as _;

use crate::poll_until;
use crate::tools::log_tail;

/// A spawned process with stdout and stderr appended to a log file; killed on drop.
#[derive(Debug)]
pub struct ChildProcess {
    child: Child,
    log: PathBuf,
}

impl ChildProcess {
    /// Spawns `command` (stdin closed) with its output appended to `log`.
    pub fn spawn(mut command: Command, log: &Path) -> anyhow::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("spawning {:?}", command.get_program()))?;
        Ok(Self {
            child,
            log: log.to_owned(),
        })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The last 3,000 bytes of its log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log, 3000)
    }

    /// Fails, with the log's tail, if the process has exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            anyhow::bail!(
                "the process exited ({status}); log tail:\n{}",
                self.log_tail()
            );
        }
        Ok(())
    }

    /// Waits (up to `timeout`) for the process to exit by itself.
    pub async fn wait_exit(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        poll_until(timeout, || {
            let status = self.child.try_wait().ok().flatten();
            async move { status }
        })
        .await
        .with_context(|| format!("the process did not exit; log: {}", self.log.display()))
    }

    /// SIGKILL (a crash), then waits until it is gone.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().context("kill -9")?;
        self.wait_exit(Duration::from_secs(10)).await.map(drop)
    }

    /// Sends SIGTERM and waits (up to `timeout`) for a graceful exit.
    pub async fn terminate(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -TERM {} failed", self.child.id());
        self.wait_exit(timeout).await
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn logs_waits_and_terminates() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut command = Command::new("sh");
        command.args(["-c", "echo hello; exit 3"]);
        let mut quick = ChildProcess::spawn(command, &dir.path().join("quick.log"))?;
        assert_eq!(
            quick.wait_exit(Duration::from_secs(10)).await?.code(),
            Some(3)
        );
        assert!(quick.log_tail().contains("hello"));
        assert!(quick.ensure_running().is_err());

        let mut command = Command::new("sleep");
        command.arg("60");
        let mut slow = ChildProcess::spawn(command, &dir.path().join("slow.log"))?;
        slow.ensure_running()?;
        let status = slow.terminate(Duration::from_secs(10)).await?;
        assert!(!status.success(), "ended by SIGTERM: {status:?}");
        Ok(())
    }
}
