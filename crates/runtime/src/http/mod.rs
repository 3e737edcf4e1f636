//! [`HttpListener`]: an HTTP/1 listener bound in `build` (port 0 allowed, the real port
//! reported) and served in `run` until the shutdown token is cancelled, within
//! [`ConnectionLimits`]. The admin server is one; a service's own HTTP endpoints (Plaid's
//! webhooks at the ingress, the notifier's one-click unsubscribe) are others.

mod accept;
mod limits;

use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;

pub use limits::ConnectionLimits;

/// A bound HTTP listener, named for logs and errors.
#[derive(Debug)]
pub struct HttpListener {
    listener: TcpListener,
    addr: SocketAddr,
    name: &'static str,
    limits: ConnectionLimits,
}

impl HttpListener {
    /// Binds `addr` with the default [`ConnectionLimits`] (port 0 picks a free port; see
    /// [`HttpListener::local_addr`]).
    pub async fn bind(addr: SocketAddr, name: &'static str) -> anyhow::Result<Self> {
        Self::bind_with(addr, name, ConnectionLimits::default())
    }

    /// Binds `addr`, to be served within `limits`.
    pub fn bind_with(
        addr: SocketAddr,
        name: &'static str,
        limits: ConnectionLimits,
    ) -> anyhow::Result<Self> {
        let bind = || -> std::io::Result<TcpListener> {
            let socket = match addr {
                SocketAddr::V4(_) => TcpSocket::new_v4()?,
                SocketAddr::V6(_) => TcpSocket::new_v6()?,
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(limits.backlog)
        };
        let listener = bind().with_context(|| format!("binding the {name} on {addr}"))?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            addr,
            name,
            limits,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `router` until `shutdown` is cancelled, then stops accepting and lets requests in
    /// flight finish (the caller bounds how long, as the [`crate::Supervisor`] does).
    pub async fn serve(self, router: Router, shutdown: CancellationToken) -> anyhow::Result<()> {
        accept::serve(self.listener, router, self.limits, self.name, shutdown).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
