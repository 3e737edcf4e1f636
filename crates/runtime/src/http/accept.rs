//! The accept loop behind [`super::HttpListener::serve`]: one HTTP/1 connection per task, at most
//! [`ConnectionLimits::max_connections`] at once, each with a header read timeout; on shutdown the
//! listener closes and every connection finishes its request in flight, then closes.
//!
//! A connection gets its HTTP machinery (hyper's 8 KiB write buffer at once, an 8 KiB read
//! buffer at its first read) only when its first bytes arrive: in a storm, connections the
//! kernel completed but whose sender has not written yet hold a slot and a socket, not 16 KiB
//! of buffers each. One that stays silent for the header read timeout is closed, as hyper would.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::ConnectionLimits;

/// Pause after an accept error that is not the peer's doing (out of file descriptors, say),
/// so the loop does not spin while the condition lasts.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` within `limits` until `shutdown`, then drains the connections.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    name: &'static str,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let service = TowerToHyperService::new(router);
    loop {
        let slot = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            slot = Arc::clone(&slots).acquire_owned() => slot,
        };
        let Ok(slot) = slot else { break };
        let tcp = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    if !is_peer_error(&error) {
                        tracing::warn!(server = name, %error, "accepting a connection failed");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                    continue;
                }
            },
        };
        // Small request/response exchanges: never wait for Nagle.
        let _ = tcp.set_nodelay(true);
        let (builder, service, watcher) = (builder.clone(), service.clone(), graceful.watcher());
        let (silence, stop) = (limits.header_read_timeout, shutdown.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let first_bytes = tokio::select! {
                biased;
                () = stop.cancelled() => return,
                ready = tokio::time::timeout(silence, tcp.readable()) => ready,
            };
            if !matches!(first_bytes, Ok(Ok(()))) {
                return;
            }
            let connection = builder.serve_connection(TokioIo::new(tcp), service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(server = name, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Errors a client causes (it reset or aborted the connection before it was accepted).
fn is_peer_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}
