//! This service's schema migrations (one per file: `DeriveMigrationName` names them after the
//! file), plus penny-store's outbox and inbox migrations.

use sea_orm_migration::prelude::*;

mod m20261120_000001_create_items;
mod m20261120_000002_create_accounts;
mod m20261120_000003_create_account_numbers;
mod m20261120_000004_create_status_history;
mod m20261120_000005_create_processed_webhooks;
mod m20261120_000006_create_token_exchanges;
mod m20261122_000007_window_processed_webhooks;
mod m20261202_000008_processed_webhooks_into_inbox;
mod m20261202_000009_account_flow;
mod m20261203_000010_create_link_sessions;
mod m20261203_000011_account_reconcile;

/// Applies every migration of the verification database, in order (new ones go last: the
/// order is the history of every database already migrated).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261120_000001_create_items::Migration),
            Box::new(m20261120_000002_create_accounts::Migration),
            Box::new(m20261120_000003_create_account_numbers::Migration),
            Box::new(m20261120_000004_create_status_history::Migration),
            Box::new(m20261120_000005_create_processed_webhooks::Migration),
            Box::new(m20261120_000006_create_token_exchanges::Migration),
            Box::new(penny_store::outbox::Migration),
            Box::new(m20261122_000007_window_processed_webhooks::Migration),
            Box::new(penny_store::inbox::Migration),
            Box::new(m20261202_000008_processed_webhooks_into_inbox::Migration),
            Box::new(m20261202_000009_account_flow::Migration),
            Box::new(m20261203_000010_create_link_sessions::Migration),
            Box::new(m20261203_000011_account_reconcile::Migration),
        ]
    }
}
