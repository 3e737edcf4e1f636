//! [`Servers`]: what every gRPC service runs beside its own work: the gRPC server, the admin
//! server (`/healthz`, `/readyz`, `/metrics`) and the readiness loop both report, bound in
//! `build` and spawned under the service's [`Supervisor`] in `run`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::{AdminServer, GrpcServer, Readiness, Supervisor};

/// A service's bound gRPC and admin listeners, its readiness and its metrics registry.
pub struct Servers {
    grpc: GrpcServer,
    admin: AdminServer,
    readiness: Arc<Readiness>,
    registry: Registry,
}

impl std::fmt::Debug for Servers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Servers")
            .field("grpc_addr", &self.grpc_addr())
            .field("admin_addr", &self.admin_addr())
            .finish_non_exhaustive()
    }
}

impl Servers {
    /// Probes `readiness` once (so `/readyz` is right from the first request, `interval` being
    /// the probes' timeout), then binds the gRPC and admin listeners (port 0 allowed).
    pub async fn bind(
        grpc_listen: SocketAddr,
        admin_listen: SocketAddr,
        readiness: Arc<Readiness>,
        registry: Registry,
        interval: Duration,
    ) -> anyhow::Result<Self> {
        readiness.refresh(interval).await;
        Ok(Self {
            grpc: GrpcServer::bind(grpc_listen).await?,
            admin: AdminServer::bind(admin_listen).await?,
            readiness,
            registry,
        })
    }

    /// The bound gRPC address (the real port when configured with port 0).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// The bound admin address (`/healthz`, `/readyz`, `/metrics`).
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin.local_addr()
    }

    /// The readiness the servers report.
    pub fn readiness(&self) -> &Arc<Readiness> {
        &self.readiness
    }

    /// Spawns `grpc` (the gRPC server with the service's API added by `api`), `admin` and
    /// `readiness` (refreshed every `interval`) under `tasks`, until `stop`.
    pub fn spawn(
        self,
        tasks: &mut Supervisor,
        api: impl FnOnce(GrpcServer) -> GrpcServer,
        interval: Duration,
        stop: CancellationToken,
    ) {
        let Servers {
            grpc,
            admin,
            readiness,
            registry,
        } = self;
        let grpc = api(grpc);
        tasks.spawn("grpc", grpc.serve(Arc::clone(&readiness), stop.clone()));
        tasks.spawn(
            "admin",
            admin.serve(Arc::clone(&readiness), Arc::new(registry), stop.clone()),
        );
        tasks.spawn("readiness", readiness.run(interval, stop));
    }
}
