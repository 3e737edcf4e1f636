//! Plaid's side of the fixture, played on the sandbox over plain HTTP: Items made without Link
//! (`/sandbox/public_token/create`), the automated micro-deposit flow finished at once
//! (`/sandbox/item/set_verification_status`), and webhook delivery switched off (control API),
//! so the only webhooks anyone sees are the ones the benchmark publishes; and the sandbox's
//! call counters, which show how many Plaid calls a webhook cost.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde_json::{Value, json};

/// Houndstooth Bank: the sandbox institution of Automated Micro-deposits.
const INSTITUTION: &str = "ins_109512";

/// A client of one sandbox.
#[derive(Clone)]
pub struct SandboxApi {
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: String,
}

impl SandboxApi {
    pub fn new(base: &str, client_id: &str, secret: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "POST {path}: {status} {value}");
        Ok(value)
    }

    /// Drops every webhook the sandbox would send (`drop_probability` 1.0).
    pub async fn drop_webhooks(&self) -> anyhow::Result<()> {
        let faults = json!({ "webhooks": { "drop_probability": 1.0 } });
        self.post("/__sandbox/faults", &faults).await?;
        Ok(())
    }

    /// Zeroes the sandbox's per-endpoint call counters.
    pub async fn reset_stats(&self) -> anyhow::Result<()> {
        self.http
            .delete(format!("{}/__sandbox/stats", self.base))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// Calls per Plaid endpoint since [`SandboxApi::reset_stats`].
    pub async fn calls(&self) -> anyhow::Result<BTreeMap<String, u64>> {
        let v: Value = self
            .http
            .get(format!("{}/__sandbox/stats", self.base))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let endpoints = v["endpoints"]
            .as_object()
            .context("no endpoints in the stats")?;
        Ok(endpoints
            .iter()
            .filter_map(|(path, e)| Some((path.clone(), e["calls"].as_u64()?)))
            .filter(|(_, calls)| *calls > 0)
            .collect())
    }

    /// A public token of a new Automated Micro-deposits Item (`user_good` /
    /// `microdeposits_good`), its account pending automatic verification.
    pub async fn public_token(&self) -> anyhow::Result<String> {
        let body = json!({
            "client_id": self.client_id,
            "secret": self.secret,
            "institution_id": INSTITUTION,
            "initial_products": ["auth"],
            "options": {
                "override_username": "user_good",
                "override_password": "microdeposits_good",
            },
        });
        let v = self.post("/sandbox/public_token/create", &body).await?;
        Ok(v["public_token"]
            .as_str()
            .context("no public_token")?
            .to_owned())
    }

    /// Finishes the account's verification: `/auth/get` returns its numbers from now on.
    pub async fn set_verified(&self, access_token: &str, account_id: &str) -> anyhow::Result<()> {
        let body = json!({
            "client_id": self.client_id,
            "secret": self.secret,
            "access_token": access_token,
            "account_id": account_id,
            "verification_status": "automatically_verified",
        });
        self.post("/sandbox/item/set_verification_status", &body)
            .await?;
        Ok(())
    }
}
