//! PostgreSQL for tests: a fresh database per test, in a shared cluster or a throwaway one.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use rand::Rng as _;
use sea_orm::{ConnectOptions, ConnectionTrait as _, Database};
use tempfile::TempDir;

use crate::ports::free_port;
use crate::tools::{log_tail, which};

/// Environment variable naming an existing cluster's admin URL (the justfile starts one throwaway
/// cluster for the whole test run and sets it).
pub const PG_URL_ENV: &str = "PENNY_TEST_PG_URL";

/// Entry point for PostgreSQL-backed tests.
#[derive(Debug)]
pub struct TestPostgres;

impl TestPostgres {
    /// A fresh, empty database `penny_<random>`: created in the cluster at `$PENNY_TEST_PG_URL`
    /// when set (dropped again on drop, best effort), else in a throwaway cluster started for it
    /// (stopped and removed on drop).
    pub async fn database() -> anyhow::Result<PgDatabase> {
        let (admin_url, cluster) = match std::env::var(PG_URL_ENV) {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let cluster = tokio::task::spawn_blocking(PgCluster::start)
                    .await
                    .context("PostgreSQL start-up task")??;
                (cluster.admin_url(), Some(cluster))
            }
        };
        let name = format!("penny_{:016x}", rand::rng().random::<u64>());
        let admin = connect(&admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("creating database {name} via {admin_url}"))?;
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name)?;
        Ok(PgDatabase {
            url,
            name,
            admin_url,
            cluster,
        })
    }
}

/// Creates database `name` (replacing any of that name) on the server at `admin_url`; returns its
/// URL. For harnesses that own a whole cluster (e.g. one database per service of a local stack).
pub async fn create_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let admin = connect(admin_url).await?;
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        admin
            .execute_unprepared(&sql)
            .await
            .with_context(|| format!("{sql} via {admin_url}"))?;
    }
    let _ = admin.close().await;
    with_database(admin_url, name)
}

/// A database that exists for one test. [`url`](Self::url) connects to it.
#[derive(Debug)]
pub struct PgDatabase {
    url: String,
    name: String,
    admin_url: String,
    cluster: Option<PgCluster>,
}

impl PgDatabase {
    /// Connection URL, e.g. `postgres://postgres@127.0.0.1:5433/penny_0123abcd`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.cluster.is_some() {
            return; // the whole cluster goes away with it
        }
        // Drop is synchronous and may run inside a runtime: do the async work on a thread of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = admin.execute_unprepared(&sql).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A throwaway PostgreSQL cluster in a temp directory: `initdb` (trust auth, user `postgres`, no
/// fsync) and `pg_ctl start` on a free loopback port. As root the server runs as the `postgres`
/// user (initdb refuses root). Stopped (`pg_ctl -m fast`) and deleted on drop.
#[derive(Debug)]
pub struct PgCluster {
    dir: TempDir,
    bindir: PathBuf,
    as_postgres: bool,
    port: u16,
}

impl PgCluster {
    /// Creates and starts the cluster (blocking, about a second).
    pub fn start() -> anyhow::Result<Self> {
        let bindir = pg_bindir()?;
        let dir = tempfile::Builder::new()
            .prefix("penny-pg-")
            .tempdir()
            .context("creating a temp dir for PostgreSQL")?;
        let as_postgres = running_as_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(dir.path()))
                .context("chown of the cluster dir to the postgres user")?;
        }
        let mut cluster = Self {
            dir,
            bindir,
            as_postgres,
            port: 0,
        };
        let data = cluster.data_dir();
        run(cluster.pg_command("initdb").arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]))
        .context("initdb")?;
        // A probed free port can be taken before the server binds it: try a few.
        let mut last_err = None;
        for _ in 0..5 {
            let port = free_port()?;
            match cluster.pg_ctl_start(port) {
                Ok(()) => {
                    cluster.port = port;
                    return Ok(cluster);
                }
                Err(e) => last_err = Some(e),
            }
        }
        let log = log_tail(&cluster.log_file(), 2000);
        Err(last_err
            .unwrap_or_else(|| anyhow::anyhow!("no attempt"))
            .context(format!("pg_ctl start failed; server log tail:\n{log}")))
    }

    /// `pg_ctl start` on `port`, waiting until it accepts connections.
    fn pg_ctl_start(&self, port: u16) -> anyhow::Result<()> {
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.dir.path().display()
        );
        run(self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", "30", "-o", &opts, "start"]))
    }

    /// An outage: `pg_ctl stop -m immediate` (every connection dropped at once, as in a crash).
    /// [`resume`](Self::resume) starts it again on the same port with the same data.
    pub fn stop(&self) -> anyhow::Result<()> {
        run(self
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"]))
        .context("pg_ctl stop")
    }

    /// Starts a [`stop`](Self::stop)ped cluster again on its port (blocking until it accepts
    /// connections).
    pub fn resume(&self) -> anyhow::Result<()> {
        self.pg_ctl_start(self.port).with_context(|| {
            format!(
                "pg_ctl start again; server log tail:\n{}",
                log_tail(&self.log_file(), 2000)
            )
        })
    }

    /// Admin URL: `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// `bindir/<tool>`, run as `postgres` when we are root.
    fn pg_command(&self, tool: &str) -> Command {
        let bin = self.bindir.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.data_dir();
            let _ = run(self
                .pg_command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-m", "fast", "-w", "stop"]));
        }
    }
}

/// Runs a command to completion; its output goes into the error when it fails.
fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    anyhow::ensure!(
        out.status.success(),
        "{:?} failed ({}): {}{}",
        cmd.get_program(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// The newest `/usr/lib/postgresql/<version>/bin`, else the directory of `initdb` on `PATH`.
fn pg_bindir() -> anyhow::Result<PathBuf> {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max_by_key(|(v, _)| *v)
        .map(|(_, bin)| bin);
    newest
        .or_else(|| which("initdb").and_then(|p| p.parent().map(Path::to_path_buf)))
        .context(
            "no PostgreSQL server found (/usr/lib/postgresql/*/bin or initdb on PATH): \
             apt-get install -y postgresql, or set PENNY_TEST_PG_URL",
        )
}

/// True when the effective user is root (`/proc/self` belongs to the process's user).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A quiet single-connection pool.
async fn connect(url: &str) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(1).sqlx_logging(false);
    Database::connect(opts)
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// `admin_url` with its database path replaced by `name` (query parameters kept).
fn with_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let mut url = reqwest::Url::parse(admin_url)
        .with_context(|| format!("{PG_URL_ENV} is not a URL: {admin_url}"))?;
    url.set_path(&format!("/{name}"));
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_url_replaces_only_the_path() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "penny_1").unwrap(),
            "postgres://u:p@h:5432/penny_1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:1", "penny_2").unwrap(),
            "postgres://postgres@127.0.0.1:1/penny_2"
        );
    }
}
