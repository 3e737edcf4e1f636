//! [`HttpListener`]: an HTTP listener bound in `build` (port 0 allowed, the real port
//! reported) and served in `run` until the shutdown token is cancelled. The admin server is
//! one; a service's own HTTP endpoints (the notifier's one-click unsubscribe) are another.

use std::net::SocketAddr;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A bound HTTP listener, named for logs and errors.
#[derive(Debug)]
pub struct HttpListener {
    listener: TcpListener,
    addr: SocketAddr,
    name: &'static str,
}

impl HttpListener {
    /// Binds `addr` (port 0 picks a free port; see [`HttpListener::local_addr`]).
    pub async fn bind(addr: SocketAddr, name: &'static str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the {name} on {addr}"))?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            addr,
            name,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves `router` until `shutdown` is cancelled, then lets requests in flight finish.
    pub async fn serve(self, router: Router, shutdown: CancellationToken) -> anyhow::Result<()> {
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .with_context(|| format!("{} on {}", self.name, self.addr))
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;

    #[tokio::test]
    async fn binds_port_zero_serves_and_stops() -> anyhow::Result<()> {
        let listener = HttpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), "test").await?;
        let addr = listener.local_addr();
        assert_ne!(addr.port(), 0);
        let shutdown = CancellationToken::new();
        let router = Router::new().route("/", get(|| async { "hi" }));
        let task = tokio::spawn(listener.serve(router, shutdown.clone()));
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await?;
        assert!(
            reply.starts_with("HTTP/1.1 200") && reply.ends_with("hi"),
            "{reply}"
        );
        shutdown.cancel();
        task.await??;
        Ok(())
    }
}
