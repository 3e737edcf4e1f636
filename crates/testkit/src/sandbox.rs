//! The Plaid sandbox running in-process on a free port (feature `sandbox`).

use std::net::SocketAddr;

use anyhow::Context as _;
use penny_config::PlaidArgs;
use tokio_util::sync::CancellationToken;

use crate::SandboxControl;

/// A `penny_sandbox::App` served on its own task; cancelled on drop. Must be created inside a
/// Tokio runtime (any flavour: the server runs on the test's runtime).
#[derive(Debug)]
pub struct SandboxServer {
    addr: SocketAddr,
    base_url: String,
    client_id: String,
    secret: String,
    token: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl SandboxServer {
    /// Starts the sandbox with `penny_sandbox::Config::default()` on `127.0.0.1:0`.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(penny_sandbox::Config::default()).await
    }

    /// Starts the sandbox with `config` (its `listen` address is used as given: keep port 0).
    pub async fn start_with(config: penny_sandbox::Config) -> anyhow::Result<Self> {
        let client_id = config.client_id.clone();
        let secret = config.secret.expose().clone();
        let app = penny_sandbox::App::build(config)
            .await
            .context("building the sandbox")?;
        let addr = app.local_addr();
        let base_url = app.base_url();
        let token = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(token.clone()));
        Ok(Self {
            addr,
            base_url,
            client_id,
            secret,
            token,
            task: Some(task),
        })
    }

    /// Base URL for the Plaid client, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the sandbox listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `client_id` the sandbox accepts.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The `secret` the sandbox accepts.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// A typed client of this sandbox's control API.
    pub fn control(&self) -> SandboxControl {
        SandboxControl::new(&self.base_url)
    }

    /// Plaid settings pointing at this sandbox (environment `sandbox`), to put into a service's
    /// config.
    pub fn plaid_args(&self) -> PlaidArgs {
        PlaidArgs {
            plaid_base_url: self.base_url.clone(),
            plaid_client_id: self.client_id.clone(),
            plaid_secret: self.secret.as_str().into(),
            ..PlaidArgs::default()
        }
    }

    /// Stops the sandbox and returns how its server loop ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.token.cancel();
        match self.task.take() {
            Some(task) => task.await.context("sandbox task panicked")?,
            None => Ok(()),
        }
    }
}

impl Drop for SandboxServer {
    fn drop(&mut self) {
        self.token.cancel();
    }
}
