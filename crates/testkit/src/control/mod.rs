//! [`SandboxControl`]: a typed HTTP client of the sandbox's control API under `/__sandbox/`
//! (finish Link, move the clock, inject faults, read the webhook log and the stats, rate
//! limits, signing keys, micro-deposits in bulk). It speaks HTTP only, so it works against an in-process sandbox, the
//! `penny-sandbox` binary, or one on another machine.

mod transfers;
mod types;

use std::time::Duration;

use anyhow::Context as _;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use transfers::{
    Advance, Advanced, BulkItems, CreatedItem, CreatedItems, CreatedTransfer, DepositShape,
    EventFeed, FeedCounts, TransferCounts, TransferDirection, TransferFailure,
};
pub use types::{
    ActiveEndpointFault, ActiveFaults, Clock, DeliveryOutcome, EndpointFault, EndpointStats,
    ForcedError, Institution, Jwk, KeyRotation, Limit, LinkAccount, LinkCompleted, LinkCompletion,
    RateLimitMode, RateLimitTable, RateLimits, SandboxStats, SignRequest, Signed, WebhookAttempt,
    WebhookFaults,
};

/// Time limit of one control call.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A client of one sandbox's control API. Every call fails unless the sandbox answers 2xx; the
/// error carries the method, path, status and body. Cheap to clone.
///
/// ```no_run
/// # async fn demo(control: penny_testkit::SandboxControl) -> anyhow::Result<()> {
/// use std::time::Duration;
/// use penny_testkit::WebhookFaults;
/// let linked = control.complete_link("link-sandbox-…").await?;
/// control.set_webhook_faults(&WebhookFaults::drop_next(1)).await?;
/// control.advance_clock(Duration::from_secs(86_400)).await?;
/// let verified = control.webhook_attempts("AUTOMATICALLY_VERIFIED").await?;
/// # let _ = (linked, verified);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SandboxControl {
    base_url: String,
    http: reqwest::Client,
}

impl SandboxControl {
    /// A client of the sandbox at `base_url` (e.g. `http://127.0.0.1:7070`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The sandbox's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Finishes Link for `link_token` with the defaults (an Automated Micro-deposits account
    /// at Houndstooth Bank, pending automatic verification): Link's `onSuccess`.
    pub async fn complete_link(&self, link_token: &str) -> anyhow::Result<LinkCompleted> {
        self.complete_link_with(&LinkCompletion {
            link_token: link_token.to_owned(),
            ..LinkCompletion::default()
        })
        .await
    }

    /// Finishes Link with a chosen institution or credentials.
    pub async fn complete_link_with(
        &self,
        completion: &LinkCompletion,
    ) -> anyhow::Result<LinkCompleted> {
        self.call(Method::POST, "/__sandbox/link/complete", Some(completion))
            .await
    }

    /// Plaid's SMS verification of a pending Same-Day account finishing: `status`
    /// `MANUALLY_VERIFIED` or `VERIFICATION_FAILED`; the sandbox sends the AUTH webhook.
    pub async fn sms_verification(&self, account_id: &str, status: &str) -> anyhow::Result<()> {
        let body = serde_json::json!({
            "account_id": account_id,
            "status": status,
        });
        self.post("/__sandbox/items/sms_verification", &body)
            .await
            .map(drop)
    }

    /// The bank asks for a new login on the Item holding `account_id` (`ITEM_LOGIN_REQUIRED`
    /// and the `ITEM / ERROR` webhook), as an app backend without the access token can cause it.
    pub async fn reset_login(&self, account_id: &str) -> anyhow::Result<()> {
        let body = json!({ "account_id": account_id });
        self.post("/__sandbox/items/reset_login", &body)
            .await
            .map(drop)
    }

    /// The simulated clock.
    pub async fn clock(&self) -> anyhow::Result<Clock> {
        self.call(Method::GET, "/__sandbox/clock", None::<&()>)
            .await
    }

    /// Moves the simulated clock forward by `by`; timers that fall due fire (verifications,
    /// expiries, webhook retries).
    pub async fn advance_clock(&self, by: Duration) -> anyhow::Result<Clock> {
        let body = json!({ "advance_seconds": by.as_secs_f64() });
        self.call(Method::POST, "/__sandbox/clock", Some(&body))
            .await
    }

    /// Sets how many simulated seconds pass per real second.
    pub async fn set_clock_speed(&self, speed: f64) -> anyhow::Result<Clock> {
        let body = json!({ "speed": speed });
        self.call(Method::POST, "/__sandbox/clock", Some(&body))
            .await
    }

    /// Every signing key, oldest first (the last is current).
    pub async fn keys(&self) -> anyhow::Result<Vec<Jwk>> {
        #[derive(serde::Deserialize)]
        struct Keys {
            keys: Vec<Jwk>,
        }
        let keys: Keys = self
            .call(Method::GET, "/__sandbox/keys", None::<&()>)
            .await?;
        Ok(keys.keys)
    }

    /// The key webhooks are signed with now.
    pub async fn current_key(&self) -> anyhow::Result<Jwk> {
        self.keys()
            .await?
            .into_iter()
            .rfind(|k| k.expired_at.is_none())
            .context("the sandbox has no current key")
    }

    /// Rotates the signing key: a new current key, the old one expired.
    pub async fn rotate_key(&self) -> anyhow::Result<KeyRotation> {
        self.call(Method::POST, "/__sandbox/keys/rotate", None::<&()>)
            .await
    }

    /// A `Plaid-Verification` token for `body` from the current key, `iat` now.
    pub async fn sign(&self, body: &str) -> anyhow::Result<Signed> {
        self.sign_with(&SignRequest {
            body: body.to_owned(),
            ..SignRequest::default()
        })
        .await
    }

    /// A token with a chosen `iat`, claims or key.
    pub async fn sign_with(&self, request: &SignRequest) -> anyhow::Result<Signed> {
        self.call(Method::POST, "/__sandbox/webhooks/sign", Some(request))
            .await
    }

    /// Adds (or replaces) the fault of one endpoint; returns every active fault.
    pub async fn add_fault(&self, fault: &EndpointFault) -> anyhow::Result<ActiveFaults> {
        self.call(Method::POST, "/__sandbox/faults", Some(fault))
            .await
    }

    /// Sets the webhook delivery faults (replacing the previous ones); returns every active
    /// fault.
    pub async fn set_webhook_faults(&self, faults: &WebhookFaults) -> anyhow::Result<ActiveFaults> {
        let body = json!({ "webhooks": faults });
        self.call(Method::POST, "/__sandbox/faults", Some(&body))
            .await
    }

    /// The active faults.
    pub async fn faults(&self) -> anyhow::Result<ActiveFaults> {
        self.call(Method::GET, "/__sandbox/faults", None::<&()>)
            .await
    }

    /// Clears every fault; webhooks held for reordering are sent.
    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        self.call::<Value>(Method::DELETE, "/__sandbox/faults", None::<&()>)
            .await
            .map(drop)
    }

    /// Every webhook delivery attempt, oldest first.
    pub async fn webhook_log(&self) -> anyhow::Result<Vec<WebhookAttempt>> {
        #[derive(serde::Deserialize)]
        struct Log {
            attempts: Vec<WebhookAttempt>,
        }
        let log: Log = self
            .call(Method::GET, "/__sandbox/webhooks", None::<&()>)
            .await?;
        Ok(log.attempts)
    }

    /// The delivery attempts of webhooks with this `webhook_code`, oldest first.
    pub async fn webhook_attempts(&self, code: &str) -> anyhow::Result<Vec<WebhookAttempt>> {
        let mut attempts = self.webhook_log().await?;
        attempts.retain(|a| a.webhook_code == code);
        Ok(attempts)
    }

    /// Empties the delivery log.
    pub async fn clear_webhook_log(&self) -> anyhow::Result<()> {
        self.call::<Value>(Method::DELETE, "/__sandbox/webhooks", None::<&()>)
            .await
            .map(drop)
    }

    /// Sends the webhooks held by the reorder fault now; returns how many.
    pub async fn flush_webhooks(&self) -> anyhow::Result<u64> {
        let answer: Value = self
            .call(Method::POST, "/__sandbox/webhooks/flush", None::<&()>)
            .await?;
        answer["released_webhooks"]
            .as_u64()
            .with_context(|| format!("no released_webhooks in {answer}"))
    }

    /// Per-endpoint call counters since the last reset.
    pub async fn stats(&self) -> anyhow::Result<SandboxStats> {
        self.call(Method::GET, "/__sandbox/stats", None::<&()>)
            .await
    }

    /// Resets the call counters.
    pub async fn reset_stats(&self) -> anyhow::Result<()> {
        self.call::<Value>(Method::DELETE, "/__sandbox/stats", None::<&()>)
            .await
            .map(drop)
    }

    /// The rate limits in force.
    pub async fn rate_limits(&self) -> anyhow::Result<RateLimitTable> {
        self.call(Method::GET, "/__sandbox/rate_limits", None::<&()>)
            .await
    }

    /// Changes the rate limits; returns those in force.
    pub async fn set_rate_limits(&self, limits: &RateLimits) -> anyhow::Result<RateLimitTable> {
        self.call(Method::POST, "/__sandbox/rate_limits", Some(limits))
            .await
    }

    /// The URL BANK_TRANSFERS webhooks go to (a Dashboard setting at Plaid).
    pub async fn bank_transfers_webhook(&self) -> anyhow::Result<Option<String>> {
        let answer: Value = self
            .call(
                Method::GET,
                "/__sandbox/bank_transfers_webhook",
                None::<&()>,
            )
            .await?;
        Ok(answer["url"].as_str().map(str::to_owned))
    }

    /// Sets (or, with `None`, clears) the BANK_TRANSFERS webhook URL.
    pub async fn set_bank_transfers_webhook(&self, url: Option<&str>) -> anyhow::Result<()> {
        let body = json!({ "url": url });
        self.call::<Value>(
            Method::POST,
            "/__sandbox/bank_transfers_webhook",
            Some(&body),
        )
        .await
        .map(drop)
    }

    /// The escape hatch: POSTs `body` to any control `path` (e.g. `/__sandbox/seed`) and
    /// returns the JSON answer (`null` when empty).
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// One call: JSON in (when given), JSON out, 2xx required.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> anyhow::Result<T> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .timeout(TIMEOUT);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("{method} {path}: reading the answer"))?;
        anyhow::ensure!(
            status.is_success(),
            "{method} {path} answered {status}: {text}"
        );
        let text = if text.trim().is_empty() {
            "null"
        } else {
            &text
        };
        serde_json::from_str(text)
            .with_context(|| format!("{method} {path}: unexpected answer {text}"))
    }
}
