//! The stages alone, measured in the same run as the burst they bound (limits off): ingress
//! accepting signed webhooks nobody consumes (`HOLDINGS / DEFAULT_UPDATE`: no consumer's
//! filter matches), the sandbox answering `/auth/get`, PostgreSQL committing one-row
//! transactions, and the alert receivers (the local SMTP server and push endpoint) accepting an
//! email and a push per member through the notifier's own transports
//! (`penny_notifier::channels::ceiling`). Each is driven from this process at a fixed
//! concurrency, so the load generator shares the machine as penny's own callers would.

use std::future::Future;
use std::time::Instant;

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use penny_e2e::local::{LocalStack, PLAID_CLIENT_ID, PLAID_SECRET, PUSH_SECRET};
use penny_notifier::Config;
use penny_notifier::domain::Channel;
use penny_notifier::domain::kind::ChannelList;
use sea_orm::{ConnectOptions, ConnectionTrait as _, Database};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Requests per stage.
const REQUESTS: usize = 4_000;
/// Requests in flight.
const CONCURRENCY: usize = 64;
/// Database connections (and transactions in flight).
const DB_CONNECTIONS: u32 = 16;
/// Members whose email and push the receivers' ceiling sends.
const ALERT_MEMBERS: usize = 1_000;
/// Sends in flight: the notifier's default `PENNY_NOTIFIER_SEND_CONCURRENCY`.
const SEND_CONCURRENCY: usize = 32;

/// Each stage's rate alone, per second.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Ceilings {
    /// Signed webhooks ingress verified, published and answered 200.
    pub ingress: f64,
    /// `/auth/get` answers from the sandbox.
    pub auth_get: f64,
    /// One-row transactions PostgreSQL committed.
    pub db_commits: f64,
    /// Members whose email and push the receivers accepted.
    pub alerts: f64,
}

impl Ceilings {
    /// The slowest stage's rate.
    pub fn slowest(&self) -> f64 {
        self.ingress
            .min(self.auth_get)
            .min(self.db_commits)
            .min(self.alerts)
    }
}

/// Measures the three stages one after the other.
pub async fn measure(stack: &LocalStack, pg_admin: &str) -> anyhow::Result<Ceilings> {
    Ok(Ceilings {
        ingress: ingress(stack).await?,
        auth_get: auth_get(stack).await?,
        db_commits: db_commits(pg_admin).await?,
        alerts: alerts(stack).await?,
    })
}

async fn alerts(stack: &LocalStack) -> anyhow::Result<f64> {
    let mut config = Config {
        channels: ChannelList(vec![Channel::Email, Channel::Push]),
        ..Config::default()
    };
    config.email.smtp_host = "127.0.0.1".into();
    config.email.smtp_port = stack.smtp.port();
    config.push.push_signing_secret = Some(penny_config::Secret::from(PUSH_SECRET));
    let transports = penny_notifier::app::transports(&config)?;
    let took = penny_notifier::channels::ceiling::measure(
        &transports,
        &stack.push.url(),
        ALERT_MEMBERS,
        SEND_CONCURRENCY,
    )
    .await?;
    Ok(ALERT_MEMBERS as f64 / took.as_secs_f64())
}

async fn ingress(stack: &LocalStack) -> anyhow::Result<f64> {
    let sandbox = stack.sandbox();
    let signed: Vec<(String, String)> = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let sandbox = sandbox.clone();
            async move {
                let body = json!({
                    "webhook_type": "HOLDINGS",
                    "webhook_code": "DEFAULT_UPDATE",
                    "item_id": format!("ceiling-item-{i:08}"),
                    "environment": "sandbox",
                    "error": null,
                })
                .to_string();
                let signed = sandbox.sign(&body).await?;
                Ok::<_, anyhow::Error>((body, signed.token))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let http = reqwest::Client::new();
    let url = stack.webhook_url();
    let requests = signed.into_iter().map(|(body, token)| {
        http.post(&url)
            .header("Plaid-Verification", token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    });
    all_200s_per_second("ingress", requests).await
}

/// Sends every request, [`CONCURRENCY`] at a time; each must answer 200. Returns requests per
/// second.
async fn all_200s_per_second(
    what: &str,
    requests: impl Iterator<Item = impl Future<Output = reqwest::Result<reqwest::Response>>>,
) -> anyhow::Result<f64> {
    let start = Instant::now();
    let answered: Vec<u16> = futures::stream::iter(requests)
        .map(|request| async move { Ok::<_, anyhow::Error>(request.await?.status().as_u16()) })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let elapsed = start.elapsed().as_secs_f64();
    let ok = answered.iter().filter(|s| **s == 200).count();
    anyhow::ensure!(
        ok == answered.len(),
        "{what} answered 200 to {ok} of {}",
        answered.len()
    );
    Ok(answered.len() as f64 / elapsed)
}

async fn auth_get(stack: &LocalStack) -> anyhow::Result<f64> {
    let seeded = stack
        .sandbox()
        .post("/__sandbox/seed", &json!({ "count": 500 }))
        .await?;
    let tokens: Vec<String> = seeded["access_tokens"]
        .as_array()
        .context("no access_tokens")?
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    anyhow::ensure!(!tokens.is_empty(), "the sandbox seeded no Items");
    let http = reqwest::Client::new();
    let url = format!("{}/auth/get", stack.sandbox_url());
    let requests = (0..REQUESTS).map(|i| {
        http.post(&url)
            .json(&json!({
                "client_id": PLAID_CLIENT_ID,
                "secret": PLAID_SECRET,
                "access_token": tokens[i % tokens.len()],
            }))
            .send()
    });
    all_200s_per_second("/auth/get", requests).await
}

async fn db_commits(pg_admin: &str) -> anyhow::Result<f64> {
    let url = penny_testkit::create_database(pg_admin, "penny_ceiling").await?;
    let mut options = ConnectOptions::new(url);
    options.max_connections(DB_CONNECTIONS).sqlx_logging(false);
    let db = Database::connect(options).await?;
    db.execute_unprepared("CREATE TABLE commits (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")
        .await?;
    let start = Instant::now();
    futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let db = db.clone();
            async move {
                db.execute_unprepared(&format!(
                    "INSERT INTO commits (body) VALUES ('webhook {i}')"
                ))
                .await
                .map(drop)
            }
        })
        .buffer_unordered(DB_CONNECTIONS as usize)
        .try_collect::<Vec<()>>()
        .await?;
    let elapsed = start.elapsed().as_secs_f64();
    db.close().await?;
    Ok(REQUESTS as f64 / elapsed)
}
