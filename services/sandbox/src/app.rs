//! Building (binding) and running the sandbox.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::config::Config;
use crate::state::AppState;
use crate::{control, plaid, timeline};

/// A bound, not yet running sandbox.
#[derive(Debug)]
pub struct App {
    listener: TcpListener,
    addr: SocketAddr,
    state: Arc<AppState>,
}

impl App {
    /// Validates `cfg`, creates the state and binds the listener (port 0 picks a free port).
    pub async fn build(cfg: Config) -> anyhow::Result<App> {
        // reqwest (webhook delivery) and jsonwebtoken need the aws-lc-rs provider; idempotent.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let state = Arc::new(AppState::new(&cfg).context("invalid sandbox configuration")?);
        let listener = TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("binding {}", cfg.listen))?;
        let addr = listener.local_addr()?;
        Ok(App {
            listener,
            addr,
            state,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the Plaid base URL to give clients.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The accepted `client_id`.
    pub fn client_id(&self) -> &str {
        &self.state.client_id
    }

    /// The accepted `secret`.
    pub fn secret(&self) -> &str {
        self.state.secret.expose()
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, drains in-flight requests and
    /// stops the timeline.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let router: Router = plaid::routes()
            .merge(control::routes())
            .fallback(plaid::not_found)
            .method_not_allowed_fallback(plaid::not_found)
            .with_state(Arc::clone(&self.state));
        let ticker = tokio::spawn(timeline::run(
            Arc::clone(&self.state),
            shutdown.child_token(),
        ));
        info!(addr = %self.addr, "penny-sandbox listening");
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .await
            .context("serving HTTP");
        shutdown.cancel();
        ticker.await.context("timeline task")?;
        served
    }
}
