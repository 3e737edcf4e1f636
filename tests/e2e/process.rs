//! [`ServiceProcess`]: one of penny's binaries running as a real process (not in-process), built
//! on first use (`cargo build [--release] -p <package> --bin <name>`, a no-op when `just test`
//! already built it), configured only through its environment, logging to a file (appended, so
//! a restarted process continues its log), and stopped on drop: SIGTERM first (so it drains and
//! its trace exporter flushes), SIGKILL if it does not exit; or killed outright
//! ([`ServiceProcess::kill`], a crash).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use tokio::process::{Child, Command};

/// How long a stopping service gets before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Which build of the binaries to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// `target/debug` (tests, `just up`).
    #[default]
    Debug,
    /// `target/release` (benchmarks).
    Release,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// A running service binary.
pub struct ServiceProcess {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// `cargo build` runs once per binary and profile per test process.
fn built() -> &'static Mutex<HashMap<(&'static str, Profile), PathBuf>> {
    static BUILT: OnceLock<Mutex<HashMap<(&'static str, Profile), PathBuf>>> = OnceLock::new();
    BUILT.get_or_init(Mutex::default)
}

/// The debug binary `bin` of `package`, built if needed.
pub fn binary(package: &str, bin: &'static str) -> anyhow::Result<PathBuf> {
    binary_of(Profile::Debug, package, bin)
}

/// The binary `bin` of `package` in `profile`, built if needed.
pub fn binary_of(profile: Profile, package: &str, bin: &'static str) -> anyhow::Result<PathBuf> {
    let mut built = built().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(path) = built.get(&(bin, profile)) {
        return Ok(path.clone());
    }
    let root = penny_testkit::workspace_root();
    // PENNY_E2E_PREBUILT=1: use the binaries as they are (e.g. while the tree is being edited).
    if std::env::var_os("PENNY_E2E_PREBUILT").is_none() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build
            .current_dir(&root)
            .args(["build", "--quiet", "-p", package, "--bin", bin]);
        if profile == Profile::Release {
            build.arg("--release");
        }
        let status = build
            .status()
            .with_context(|| format!("running cargo build -p {package}"))?;
        anyhow::ensure!(
            status.success(),
            "cargo build -p {package} --bin {bin} failed"
        );
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let path = target.join(profile.dir()).join(bin);
    anyhow::ensure!(path.is_file(), "{} was not built", path.display());
    built.insert((bin, profile), path.clone());
    Ok(path)
}

impl ServiceProcess {
    /// Starts debug `bin` of `package` with exactly `env` (plus `PATH`), its output to
    /// `dir/<bin>.log`.
    pub fn spawn(
        package: &str,
        bin: &'static str,
        env: &[(&str, String)],
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let path = binary(package, bin)?;
        Self::spawn_path(&path, bin, env, &dir.join(format!("{bin}.log")))
    }

    /// Starts the binary at `path` as `name` with exactly `env` (plus `PATH`), its output
    /// appended to `log`.
    pub fn spawn_path(
        path: &Path,
        name: &str,
        env: &[(&str, String)],
        log: &Path,
    ) -> anyhow::Result<Self> {
        let log = log.to_path_buf();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut command = Command::new(path);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("spawning {}", path.display()))?;
        Ok(Self {
            name: name.to_owned(),
            child: Some(child),
            log,
        })
    }

    /// Its name (the binary's, with the replica number for a second replica and beyond).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// True until it has exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGKILL (a crash: no draining, nothing flushed), then waits until it is gone.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child
                .kill()
                .await
                .with_context(|| format!("killing {}", self.name))?;
        }
        Ok(())
    }

    /// The last 3,000 bytes of its log (for error messages).
    pub fn log_tail(&self) -> String {
        penny_testkit::log_tail(&self.log, 3000)
    }

    /// Its log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits (SIGKILL after the grace period); fails if it exited with an error.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Some(pid) = child.id() {
            let pid = i32::try_from(pid)?;
            // The `kill` binary, not libc: no unsafe code for one signal.
            std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()?;
        }
        match tokio::time::timeout(STOP_GRACE, child.wait()).await {
            Ok(status) => {
                let status = status?;
                anyhow::ensure!(
                    status.success(),
                    "{} exited with {status}:\n{}",
                    self.name,
                    self.log()
                );
                Ok(())
            }
            Err(_) => {
                child.kill().await?;
                anyhow::bail!("{} did not stop within {STOP_GRACE:?}", self.name)
            }
        }
    }
}
