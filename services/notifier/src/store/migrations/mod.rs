//! The notifier's schema migrations (one per file), plus penny-store's inbox.

use sea_orm_migration::prelude::*;

mod m20261203_000001_create_accounts;
mod m20261203_000002_create_contacts;
mod m20261203_000003_create_preferences;
pub mod m20261203_000004_create_alerts;
mod m20261203_000005_create_waiting_events;
mod m20261204_000006_alerts_account_and_trace;

/// Applies every migration of the notifier database, in order (new ones go last).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(penny_store::inbox::Migration),
            Box::new(m20261203_000001_create_accounts::Migration),
            Box::new(m20261203_000002_create_contacts::Migration),
            Box::new(m20261203_000003_create_preferences::Migration),
            Box::new(m20261203_000004_create_alerts::Migration),
            Box::new(m20261203_000005_create_waiting_events::Migration),
            Box::new(m20261204_000006_alerts_account_and_trace::Migration),
        ]
    }
}
