//! [`HttpListener`] against raw TCP clients: it serves and stops, holds at most
//! `max_connections` at once, closes connections that send no request in time, serves one
//! whose first bytes come late but in time, and stops at once with silent connections open.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::*;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// At most `max_connections`, `header_read_timeout` for headers, a backlog of 16.
fn limits(max_connections: usize, header_read_timeout: Duration) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        header_read_timeout,
        backlog: 16,
    }
}

/// Serves a `hi` router within `limits`; returns its address and the token that stops it.
async fn serve(limits: ConnectionLimits) -> anyhow::Result<(SocketAddr, CancellationToken)> {
    let listener = HttpListener::bind_with(SocketAddr::from(([127, 0, 0, 1], 0)), "test", limits)?;
    let addr = listener.local_addr();
    let shutdown = CancellationToken::new();
    let router = Router::new().route("/", get(|| async { "hi" }));
    tokio::spawn(listener.serve(router, shutdown.clone()));
    Ok((addr, shutdown))
}

/// Sends one `Connection: close` request on `stream` and reads the whole reply.
async fn get_hi(mut stream: TcpStream) -> anyhow::Result<String> {
    stream.write_all(REQUEST).await?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await?;
    Ok(reply)
}

#[tokio::test]
async fn binds_port_zero_serves_and_stops() -> anyhow::Result<()> {
    let listener = HttpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), "test").await?;
    let addr = listener.local_addr();
    assert_ne!(addr.port(), 0);
    let shutdown = CancellationToken::new();
    let router = Router::new().route("/", get(|| async { "hi" }));
    let task = tokio::spawn(listener.serve(router, shutdown.clone()));
    let reply = get_hi(TcpStream::connect(addr).await?).await?;
    assert!(
        reply.starts_with("HTTP/1.1 200") && reply.ends_with("hi"),
        "{reply}"
    );
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await???;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed after shutdown"
    );
    Ok(())
}

#[tokio::test]
async fn a_connection_past_the_cap_waits_for_a_free_slot() -> anyhow::Result<()> {
    let (addr, _shutdown) = serve(limits(2, Duration::from_secs(60))).await?;
    let first = TcpStream::connect(addr).await?;
    let _second = TcpStream::connect(addr).await?;
    // The third connects (the kernel queues it) but is not served while both slots are held.
    let waiting = tokio::spawn(get_hi(TcpStream::connect(addr).await?));
    let early = tokio::time::timeout(Duration::from_millis(500), async {
        while !waiting.is_finished() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        early.is_err(),
        "a third connection was served past a cap of two"
    );
    drop(first);
    let reply = tokio::time::timeout(Duration::from_secs(10), waiting).await???;
    assert!(reply.ends_with("hi"), "{reply}");
    Ok(())
}

#[tokio::test]
async fn idle_connections_are_closed_and_give_their_slot_back() -> anyhow::Result<()> {
    let (addr, _shutdown) = serve(limits(1, Duration::from_millis(300))).await?;
    // A kept-alive connection that has had its answer and then says nothing.
    let mut idle = TcpStream::connect(addr).await?;
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !reply.ends_with(b"hi") {
        let n = idle.read(&mut buf).await?;
        anyhow::ensure!(n > 0, "closed before the answer");
        reply.extend_from_slice(&buf[..n]);
    }
    // The only slot is free again once the idle connection is closed, so this gets served.
    let reply = tokio::time::timeout(
        Duration::from_secs(10),
        get_hi(TcpStream::connect(addr).await?),
    )
    .await??;
    assert!(reply.ends_with("hi"), "{reply}");
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf)).await??;
    assert_eq!(closed, 0, "the idle connection was closed by the server");
    Ok(())
}

#[tokio::test]
async fn a_connection_that_never_sends_headers_is_closed() -> anyhow::Result<()> {
    let (addr, _shutdown) = serve(ConnectionLimits {
        header_read_timeout: Duration::from_millis(200),
        ..ConnectionLimits::default()
    })
    .await?;
    let mut silent = TcpStream::connect(addr).await?;
    silent.write_all(b"GET / HTTP/1.1\r\nHost:").await?;
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut reply)).await??;
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 408"),
        "a half-sent request is cut off: {reply}"
    );
    Ok(())
}

#[tokio::test]
async fn a_connection_whose_request_comes_late_but_in_time_is_served() -> anyhow::Result<()> {
    let (addr, _shutdown) = serve(limits(1, Duration::from_secs(5))).await?;
    let stream = TcpStream::connect(addr).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reply = tokio::time::timeout(Duration::from_secs(10), get_hi(stream)).await??;
    assert!(
        reply.starts_with("HTTP/1.1 200") && reply.ends_with("hi"),
        "{reply}"
    );
    Ok(())
}

#[tokio::test]
async fn shutdown_does_not_wait_for_connections_that_sent_nothing() -> anyhow::Result<()> {
    let listener = HttpListener::bind_with(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "test",
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(60),
            ..ConnectionLimits::default()
        },
    )?;
    let addr = listener.local_addr();
    let shutdown = CancellationToken::new();
    let router = Router::new().route("/", get(|| async { "hi" }));
    let task = tokio::spawn(listener.serve(router, shutdown.clone()));
    let mut silent = TcpStream::connect(addr).await?;
    // Served once accepted: the silent connection is then waiting for its first bytes.
    let reply = get_hi(TcpStream::connect(addr).await?).await?;
    assert!(reply.ends_with("hi"), "{reply}");
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task).await???;
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf)).await??;
    assert_eq!(closed, 0, "the silent connection was closed at shutdown");
    Ok(())
}
