//! gRPC clients in tests: a channel to an address and the bearer token on every call.

use std::net::SocketAddr;

use anyhow::Context as _;
use tonic::transport::Channel;

/// The bearer-token interceptor for test clients (penny-runtime's, the one pennyctl uses).
pub use penny_runtime::auth::Bearer;

/// A connected plaintext HTTP/2 channel to a gRPC server at `addr`.
pub async fn grpc_channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    Channel::from_shared(format!("http://{addr}"))
        .context("channel URL")?
        .connect()
        .await
        .with_context(|| format!("connecting to the gRPC server at {addr}"))
}
