//! A service's own database, named in its errors: [`ServiceDb`] connects and migrates it the
//! same way in every service, and [`now`] is the time at the precision it stores.

use anyhow::Context as _;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;

/// A service's database: its name for error messages and its migrations `M`.
///
/// ```ignore
/// pub const DB: ServiceDb<Migrator> = ServiceDb::new("verification");
/// let db = DB.open(url).await?; // connected and migrated
/// ```
#[derive(Debug)]
pub struct ServiceDb<M> {
    service: &'static str,
    migrator: std::marker::PhantomData<fn() -> M>,
}

impl<M: MigratorTrait> ServiceDb<M> {
    /// The database of `service` (`"verification"`: errors say "the verification database").
    pub const fn new(service: &'static str) -> Self {
        Self {
            service,
            migrator: std::marker::PhantomData,
        }
    }

    /// Connects to `url` (creating the SQLite file and its directory if needed).
    pub async fn connect(&self, url: &str) -> anyhow::Result<DatabaseConnection> {
        crate::connect(url)
            .await
            .with_context(|| format!("connecting to the {} database", self.service))
    }

    /// Applies pending migrations.
    pub async fn migrate(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        M::up(db, None)
            .await
            .with_context(|| format!("migrating the {} database", self.service))
    }

    /// Connects to `url` and applies pending migrations.
    pub async fn open(&self, url: &str) -> anyhow::Result<DatabaseConnection> {
        let db = self.connect(url).await?;
        self.migrate(&db).await?;
        Ok(db)
    }
}

/// The current time at the database's precision (microseconds, PostgreSQL's), so a timestamp
/// written and read back compares equal.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
