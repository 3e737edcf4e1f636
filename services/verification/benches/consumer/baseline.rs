//! The baseline: the bare minimum a correct consumer of these webhooks does, written plainly
//! without penny's layers, run in its own process (`PENNY_BENCH_ROLE=baseline`). Per webhook:
//! pull it from a durable JetStream consumer, parse the body, one `/auth/get` to the sandbox
//! with the Item's access token (from a map handed over at start: nothing is decrypted), one
//! transaction upserting the numbers into a table of its own keyed by `account_id`, then ack.
//! No state machine, no dedupe, no encryption, no outbox, no rate limit, no tracing.
//!
//! Same database kind and durability as penny's (SQLite in WAL with `synchronous=NORMAL`, or a
//! database in the same PostgreSQL cluster) and the same number of webhooks in hand at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait as _, Database, DatabaseBackend, DatabaseConnection, Statement,
    TransactionTrait as _,
};
use serde::Deserialize;

/// Its durable consumer on `PLAID_WEBHOOKS`.
pub const CONSUMER: &str = "bench-baseline";

/// Its table.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS baseline_numbers (\
    account_id TEXT PRIMARY KEY, item_id TEXT NOT NULL, account TEXT NOT NULL, \
    routing TEXT NOT NULL, wire_routing TEXT, committed_at_us BIGINT NOT NULL)";

#[derive(Deserialize)]
struct Webhook {
    webhook_type: String,
    webhook_code: String,
    item_id: String,
    account_id: String,
}

#[derive(Deserialize)]
struct AuthGet {
    numbers: AuthNumbers,
}

#[derive(Deserialize)]
struct AuthNumbers {
    ach: Vec<Ach>,
}

#[derive(Deserialize)]
struct Ach {
    account_id: String,
    account: String,
    routing: String,
    wire_routing: Option<String>,
}

/// Everything a handler needs.
struct Consumer {
    http: reqwest::Client,
    auth_get_url: String,
    client_id: String,
    secret: String,
    tokens: HashMap<String, String>,
    db: DatabaseConnection,
    upsert: &'static str,
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

/// The baseline process: `PENNY_BENCH_{NATS_URL, DB_URL, PLAID_URL, PLAID_CLIENT_ID,
/// PLAID_SECRET, TOKENS, READY, CONCURRENCY}`. Writes the file `READY` once it is pulling.
pub fn serve() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let tokens: HashMap<String, String> =
            serde_json::from_slice(&std::fs::read(env("PENNY_BENCH_TOKENS")?)?)?;
        let db_url = env("PENNY_BENCH_DB_URL")?;
        let db = connect(&db_url).await?;
        db.execute_unprepared(CREATE_TABLE).await?;
        let upsert = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                "INSERT INTO baseline_numbers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) \
                 DO UPDATE SET account = excluded.account, routing = excluded.routing, \
                 wire_routing = excluded.wire_routing, committed_at_us = excluded.committed_at_us"
            }
            _ => {
                "INSERT INTO baseline_numbers VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT \
                 (account_id) DO UPDATE SET account = excluded.account, routing = \
                 excluded.routing, wire_routing = excluded.wire_routing, committed_at_us = \
                 excluded.committed_at_us"
            }
        };
        let consumer = Arc::new(Consumer {
            http: reqwest::Client::new(),
            auth_get_url: format!("{}/auth/get", env("PENNY_BENCH_PLAID_URL")?),
            client_id: env("PENNY_BENCH_PLAID_CLIENT_ID")?,
            secret: env("PENNY_BENCH_PLAID_SECRET")?,
            tokens,
            db,
            upsert,
        });
        let concurrency: usize = env("PENNY_BENCH_CONCURRENCY")?.parse()?;

        let js = jetstream::new(async_nats::connect(env("PENNY_BENCH_NATS_URL")?).await?);
        let stream = js.get_stream(penny_bus::PLAID_WEBHOOKS).await?;
        let pull = stream
            .get_or_create_consumer(
                CONSUMER,
                pull::Config {
                    durable_name: Some(CONSUMER.to_owned()),
                    filter_subject: penny_bus::webhook_subject("AUTH", crate::burst::CODE),
                    ack_wait: Duration::from_secs(30),
                    max_ack_pending: 10_000,
                    ..Default::default()
                },
            )
            .await?;
        let messages = pull.messages().await?;
        std::fs::write(env("PENNY_BENCH_READY")?, b"ready")?;
        messages
            .for_each_concurrent(concurrency, |message| {
                let consumer = Arc::clone(&consumer);
                async move {
                    let Ok(message) = message else { return };
                    match consumer.handle(&message.payload).await {
                        Ok(()) => {
                            let _ = message.ack().await;
                        }
                        Err(e) => {
                            eprintln!("baseline: {e:#}");
                            let _ = message.ack_with(AckKind::Nak(None)).await;
                        }
                    }
                }
            })
            .await;
        anyhow::Ok(())
    })
}

impl Consumer {
    async fn handle(&self, payload: &[u8]) -> anyhow::Result<()> {
        let w: Webhook = serde_json::from_slice(payload)?;
        anyhow::ensure!(
            w.webhook_type == "AUTH" && w.webhook_code == crate::burst::CODE,
            "unexpected webhook {}/{}",
            w.webhook_type,
            w.webhook_code
        );
        let token = self.tokens.get(&w.item_id).context("unknown Item")?;
        let auth: AuthGet = self
            .http
            .post(&self.auth_get_url)
            .json(&serde_json::json!({
                "client_id": self.client_id,
                "secret": self.secret,
                "access_token": token,
                "options": { "account_ids": [w.account_id] },
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let ach = auth
            .numbers
            .ach
            .into_iter()
            .find(|a| a.account_id == w.account_id)
            .context("no numbers for the account")?;
        let committed_at = chrono::Utc::now().timestamp_micros();
        let txn = self.db.begin().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            self.upsert,
            [
                w.account_id.into(),
                w.item_id.into(),
                ach.account.into(),
                ach.routing.into(),
                ach.wire_routing.into(),
                committed_at.into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// A pool on `url`: SQLite with WAL and `synchronous=NORMAL` (4 connections), or PostgreSQL.
async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        options.max_connections(4).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        options.max_connections(10);
    }
    Ok(Database::connect(options).await?)
}
