//! The gRPC server every penny API runs: [`GrpcServer::bind`] binds the port (accepted sockets
//! get `TCP_NODELAY`: without it, Nagle's algorithm holds a small response back ~40 ms waiting
//! for the client's delayed ACK), [`GrpcServer::add_service`] adds the service's own API, and
//! [`GrpcServer::serve`] adds what every API shares:
//!
//! - `grpc.health.v1.Health`, whose serving status follows the service's [`Readiness`]
//!   (`NOT_SERVING` while NATS or the database is unreachable, or during drain);
//! - server reflection (v1) over the descriptor sets given with [`GrpcServer::reflect`];
//! - [`TraceLayer`]: each call continues the caller's W3C trace from its metadata, so a method
//!   never has to.
//!
//! Authentication is per service (health and reflection stay open): wrap the API with
//! [`crate::auth::Authenticator`].

mod health;
mod trace;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic::transport::server::TcpIncoming;

pub use trace::{TraceLayer, TraceService};

use crate::readiness::Readiness;

/// A bound gRPC server, collecting its services.
pub struct GrpcServer {
    listener: TcpListener,
    addr: SocketAddr,
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    descriptors: Vec<&'static [u8]>,
}

impl std::fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcServer")
            .field("addr", &self.addr)
            .field("services", &self.names)
            .finish_non_exhaustive()
    }
}

impl GrpcServer {
    /// Binds `addr` (port 0 picks a free port; see [`GrpcServer::local_addr`]).
    pub async fn bind(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding gRPC on {addr}"))?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            addr,
            routes: RoutesBuilder::default(),
            names: Vec::new(),
            descriptors: Vec::new(),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Adds a service; its health status follows readiness under its full name.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Registers an encoded file descriptor set for server reflection.
    pub fn reflect(mut self, descriptor_set: &'static [u8]) -> Self {
        self.descriptors.push(descriptor_set);
        self
    }

    /// Serves until `shutdown` is cancelled (then lets calls in flight finish). Health answers
    /// `SERVING` only while `readiness` is ready.
    pub async fn serve(
        self,
        readiness: Arc<Readiness>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let GrpcServer {
            listener,
            addr,
            mut routes,
            names,
            descriptors,
        } = self;
        let (reporter, health_service) = tonic_health::server::health_reporter();
        let mut reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
        for set in descriptors {
            reflection = reflection.register_encoded_file_descriptor_set(set);
        }
        let reflection = reflection.build_v1().context("building gRPC reflection")?;
        routes.add_service(health_service).add_service(reflection);
        let follow = tokio::spawn(health::follow_readiness(
            reporter,
            names.clone(),
            readiness,
            shutdown.clone(),
        ));
        tracing::info!(%addr, services = ?names, "gRPC serving");
        let served = tonic::transport::Server::builder()
            .layer(TraceLayer)
            .add_routes(routes.routes())
            .serve_with_incoming_shutdown(incoming(listener), shutdown.cancelled_owned())
            .await
            .context("gRPC server");
        follow.abort();
        served
    }
}

/// The accepted connections of `listener`, each with `TCP_NODELAY` set. (tonic's builder
/// setting applies only to listeners it binds itself, not to one handed over.)
fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

#[cfg(test)]
mod tests {
    use futures::StreamExt as _;

    use super::*;

    #[tokio::test]
    async fn accepted_sockets_have_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut accepted = incoming(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let server_side = accepted.next().await.unwrap().unwrap();
        assert!(
            server_side.nodelay().unwrap(),
            "TCP_NODELAY on the accepted socket"
        );
    }
}
