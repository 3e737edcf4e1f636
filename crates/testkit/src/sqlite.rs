//! A SQLite database file in a temp directory.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tempfile::TempDir;

/// A SQLite file path in a fresh temp directory (the file itself is created by the first
/// connection thanks to `mode=rwc`). The directory is removed on drop.
#[derive(Debug)]
pub struct TempSqlite {
    _dir: TempDir,
    path: PathBuf,
    url: String,
}

impl TempSqlite {
    /// Creates the temp directory.
    pub fn new() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("penny-sqlite-")
            .tempdir()
            .context("creating a temp dir for SQLite")?;
        let path = dir.path().join("db.sqlite");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        Ok(Self {
            _dir: dir,
            path,
            url,
        })
    }

    /// Connection URL, e.g. `sqlite:///tmp/penny-sqlite-x/db.sqlite?mode=rwc`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
