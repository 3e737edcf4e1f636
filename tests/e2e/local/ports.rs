//! [`Ports`]: where each part of the local stack listens: the services' own defaults (so the
//! README's `grpcurl` lines work against `just up`) or free ports (tests, side by side).

use std::net::SocketAddr;

use penny_testkit::free_port;

/// Every listening port of the local stack (all on 127.0.0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// nats-server (client port).
    pub nats: u16,
    /// The Plaid sandbox (API and `/__sandbox/` control).
    pub sandbox: u16,
    /// Ingress: Plaid's webhooks, `/healthz`, `/readyz`, `/metrics`.
    pub ingress: u16,
    /// Verification's gRPC API.
    pub verification_grpc: u16,
    /// Verification's admin server.
    pub verification_admin: u16,
    /// Transfer-events' gRPC API.
    pub transfer_events_grpc: u16,
    /// Transfer-events' admin server.
    pub transfer_events_admin: u16,
    /// The notifier's gRPC API.
    pub notifier_grpc: u16,
    /// The notifier's admin server.
    pub notifier_admin: u16,
    /// The notifier's public server (one-click unsubscribe).
    pub notifier_public: u16,
}

impl Ports {
    /// The services' documented defaults.
    pub fn defaults() -> Self {
        Self {
            nats: 4222,
            sandbox: 7070,
            ingress: 8080,
            verification_grpc: 50051,
            verification_admin: 9091,
            transfer_events_grpc: 50052,
            transfer_events_admin: 9092,
            notifier_grpc: 50053,
            notifier_admin: 9093,
            notifier_public: 8093,
        }
    }

    /// A free port for each.
    pub fn free() -> anyhow::Result<Self> {
        Ok(Self {
            nats: free_port()?,
            sandbox: free_port()?,
            ingress: free_port()?,
            verification_grpc: free_port()?,
            verification_admin: free_port()?,
            transfer_events_grpc: free_port()?,
            transfer_events_admin: free_port()?,
            notifier_grpc: free_port()?,
            notifier_admin: free_port()?,
            notifier_public: free_port()?,
        })
    }

    /// Fails, naming the first taken one, when any port is already in use (another `just up`?).
    pub fn ensure_free(&self) -> anyhow::Result<()> {
        for (name, port) in self.named() {
            if std::net::TcpListener::bind(addr(port)).is_err() {
                anyhow::bail!(
                    "port {port} ({name}) is in use: is another `just up` running? stop it first"
                );
            }
        }
        Ok(())
    }

    fn named(&self) -> [(&'static str, u16); 10] {
        [
            ("nats", self.nats),
            ("sandbox", self.sandbox),
            ("ingress", self.ingress),
            ("verification gRPC", self.verification_grpc),
            ("verification admin", self.verification_admin),
            ("transfer-events gRPC", self.transfer_events_grpc),
            ("transfer-events admin", self.transfer_events_admin),
            ("notifier gRPC", self.notifier_grpc),
            ("notifier admin", self.notifier_admin),
            ("notifier public", self.notifier_public),
        ]
    }
}

/// `127.0.0.1:port`.
pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
