//! [`ConnectionLimits`]: how many connections an HTTP server holds at once and how long one may
//! sit without sending a request, so a burst or a slow or idle client costs bounded memory.

use std::time::Duration;

/// Bounds on an HTTP server's connections.
///
/// Each open HTTP/1 connection costs a task and its buffers (tens of KiB). Without a cap a burst
/// of clients that each open a connection (Plaid sends every webhook on its own) grows memory
/// with the burst; past the cap, connections wait in the kernel's accept queue (`backlog`) until
/// a slot frees, and past that the client's TCP stack retries the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections served at once; the next waits to be accepted.
    pub max_connections: usize,
    /// Longest wait for a request's complete headers: from the connection's start, and between
    /// requests on a kept-alive connection, so idle connections cannot hold the slots. (A new
    /// connection waits this long for its first bytes, then this long again for the rest of
    /// its headers: a sender that dribbles may take up to twice it.)
    pub header_read_timeout: Duration,
    /// The listen backlog: connections the kernel queues while every slot is taken (the kernel
    /// caps it at `net.core.somaxconn`).
    pub backlog: u32,
}

impl Default for ConnectionLimits {
    /// 256 connections, 10 s for headers, a backlog of 1024: ample for an admin server.
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            backlog: 1024,
        }
    }
}
