//! Shared harness: a sandbox per test, a Plaid client pointed at it with fast retries, the
//! sandbox's typed control client, a webhook receiver and JWT verification.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, ensure};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use penny_plaid::{
    AccessToken, LinkTokenCreateRequest, PlaidClient, PlaidClientConfig, Product, PublicToken,
    SandboxPublicTokenCreateRequest, Secret, VerificationStatus,
};
use penny_testkit::{EndpointFault, ForcedError, SandboxControl, SandboxServer};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

/// Retries allowed by the harness's client.
pub const MAX_RETRIES: u32 = 3;

/// A sandbox, a client for it and its control API.
pub struct Harness {
    pub sandbox: SandboxServer,
    pub plaid: PlaidClient,
    pub control: SandboxControl,
}

/// An Item linked through the sandbox.
pub struct Linked {
    pub access_token: AccessToken,
    pub item_id: String,
    pub account_id: String,
}

impl Harness {
    /// A sandbox with default settings (verification after 24 simulated hours: never during a test).
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(penny_sandbox::Config::default()).await
    }

    /// A sandbox with `config`.
    pub async fn start_with(config: penny_sandbox::Config) -> anyhow::Result<Self> {
        penny_testkit::init();
        let sandbox = SandboxServer::start_with(config).await?;
        let mut harness = Self {
            plaid: PlaidClient::new(PlaidClientConfig::default())?,
            control: sandbox.control(),
            sandbox,
        };
        harness.plaid = harness.client_with(|_| {})?;
        Ok(harness)
    }

    /// The client config for this sandbox: 5 s timeout, [`MAX_RETRIES`], 5-50 ms backoff.
    pub fn config(&self) -> PlaidClientConfig {
        PlaidClientConfig {
            base_url: self.sandbox.base_url().to_owned(),
            client_id: self.sandbox.client_id().to_owned(),
            secret: Secret::from(self.sandbox.secret()),
            timeout: Duration::from_secs(5),
            max_retries: MAX_RETRIES,
            retry_base: Duration::from_millis(5),
            retry_cap: Duration::from_millis(50),
            metrics: None,
        }
    }

    /// A client with a modified config.
    pub fn client_with(
        &self,
        change: impl FnOnce(&mut PlaidClientConfig),
    ) -> anyhow::Result<PlaidClient> {
        let mut config = self.config();
        change(&mut config);
        Ok(PlaidClient::new(config)?)
    }

    /// Requests the sandbox received on a Plaid endpoint since the last [`Harness::reset_stats`].
    pub async fn calls(&self, endpoint: &str) -> anyhow::Result<u64> {
        let stats = self.control.stats().await?;
        let counted = stats
            .endpoints
            .get(endpoint)
            .with_context(|| format!("no call count for {endpoint} in {stats:?}"))?;
        Ok(counted.calls)
    }

    /// Resets the call counters.
    pub async fn reset_stats(&self) -> anyhow::Result<()> {
        self.control.reset_stats().await
    }

    /// Makes the next `count` calls of `endpoint` fail with `error`.
    pub async fn inject(
        &self,
        endpoint: &str,
        error: ForcedError,
        count: u32,
    ) -> anyhow::Result<()> {
        self.control
            .add_fault(&EndpointFault::error(endpoint, error).count(count))
            .await
            .map(drop)
    }

    /// Links an Automated Micro-deposits Item the way a user would: link token (with `webhook`),
    /// the user finishing Link, then the public token exchange.
    pub async fn link_microdeposit_item(&self, webhook: Option<&str>) -> anyhow::Result<Linked> {
        let mut request =
            LinkTokenCreateRequest::automated_microdeposits("penny", "user-1", "http://unused");
        request.webhook = webhook.map(str::to_owned);
        let link = self.plaid.link_token_create(&request).await?;
        let done = self.control.complete_link(link.link_token.expose()).await?;
        self.exchange(PublicToken::new(done.public_token)).await
    }

    /// An instant-auth Item from `/sandbox/public_token/create` (numbers available at once).
    pub async fn instant_item(&self) -> anyhow::Result<Linked> {
        let created = self
            .plaid
            .sandbox_public_token_create(&SandboxPublicTokenCreateRequest::new(
                "ins_109508",
                vec![Product::Auth],
            ))
            .await?;
        self.exchange(created.public_token).await
    }

    async fn exchange(&self, public_token: PublicToken) -> anyhow::Result<Linked> {
        let exchanged = self.plaid.item_public_token_exchange(&public_token).await?;
        let accounts = self.plaid.accounts_get(&exchanged.access_token).await?;
        let account = accounts
            .accounts
            .iter()
            .find(|a| {
                a.verification_status == Some(VerificationStatus::PendingAutomaticVerification)
            })
            .or_else(|| accounts.accounts.first())
            .context("the Item has no account")?;
        Ok(Linked {
            account_id: account.account_id.clone(),
            access_token: exchanged.access_token,
            item_id: exchanged.item_id,
        })
    }
}

/// One webhook as received: headers and the exact body bytes.
#[derive(Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A webhook receiver on a free port; stops when dropped.
pub struct Receiver {
    pub url: String,
    rx: mpsc::UnboundedReceiver<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts the receiver (answers 200 to every POST /hook).
    pub async fn start() -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = axum::Router::new()
            .route(
                "/hook",
                post(
                    |State(tx): State<mpsc::UnboundedSender<Received>>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        let _ = tx.send(Received { headers, body });
                    },
                ),
            )
            .with_state(tx);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, rx, task })
    }

    /// The next webhook whose `webhook_code` is `code` (others are skipped), within 10 s.
    pub async fn next_with_code(&mut self, code: &str) -> anyhow::Result<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let received = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .with_context(|| format!("no {code} webhook within 10 s"))?
                .context("receiver closed")?;
            let value: Value = serde_json::from_slice(&received.body)?;
            if value["webhook_code"] == code {
                return Ok(received);
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The claims of a `Plaid-Verification` JWT.
#[derive(Debug, serde::Deserialize)]
pub struct Claims {
    pub iat: i64,
    pub request_body_sha256: String,
}

/// The `kid` of a webhook's `Plaid-Verification` JWT, after checking `alg == ES256`.
pub fn webhook_kid(received: &Received) -> anyhow::Result<String> {
    let jwt = verification_header(received)?;
    let header = jsonwebtoken::decode_header(jwt)?;
    ensure!(header.alg == Algorithm::ES256, "alg is {:?}", header.alg);
    header.kid.context("no kid in the JWT header")
}

/// Verifies a received webhook the way Plaid documents it: ES256 signature with the JWK, `iat`
/// within 5 minutes, SHA-256 of the raw body equal to `request_body_sha256`.
pub fn verify_webhook(received: &Received, key: &penny_plaid::Jwk) -> anyhow::Result<Claims> {
    let jwt = verification_header(received)?;
    let decoding = DecodingKey::from_ec_components(&key.x, &key.y)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Claims>(jwt, &decoding, &validation)?.claims;
    let age = chrono::Utc::now().timestamp() - claims.iat;
    ensure!((-60..=300).contains(&age), "iat is {age} s old");
    let digest = hex::encode(Sha256::digest(&received.body));
    ensure!(
        digest == claims.request_body_sha256,
        "body hash {digest} != claimed {}",
        claims.request_body_sha256
    );
    Ok(claims)
}

fn verification_header(received: &Received) -> anyhow::Result<&str> {
    received
        .headers
        .get("plaid-verification")
        .context("no Plaid-Verification header")?
        .to_str()
        .context("Plaid-Verification is not ASCII")
}
