//! This service's schema migrations (one per file: `DeriveMigrationName` names them after the
//! file), plus penny-store's outbox and inbox migrations.

use sea_orm_migration::prelude::*;

mod m20261203_000001_create_sync_feed;
mod m20261203_000002_create_ach_events;
mod m20261203_000003_create_deposits;
mod m20261203_000004_create_linked_accounts;
mod m20261203_000005_create_sync_runs;
mod m20261203_000006_add_ach_event_trace_id;
mod m20261203_000007_add_sync_feed_resync;
mod m20261203_000008_create_poke_traces;

/// Applies every migration of the transfer-events database, in order (new ones go last).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261203_000001_create_sync_feed::Migration),
            Box::new(m20261203_000002_create_ach_events::Migration),
            Box::new(m20261203_000003_create_deposits::Migration),
            Box::new(m20261203_000004_create_linked_accounts::Migration),
            Box::new(m20261203_000005_create_sync_runs::Migration),
            Box::new(penny_store::outbox::Migration),
            Box::new(penny_store::inbox::Migration),
            Box::new(m20261203_000006_add_ach_event_trace_id::Migration),
            Box::new(m20261203_000007_add_sync_feed_resync::Migration),
            Box::new(m20261203_000008_create_poke_traces::Migration),
        ]
    }
}
