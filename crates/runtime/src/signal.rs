//! Process start and stop for every penny binary: the one rustls crypto provider, and SIGTERM
//! (Kubernetes) or SIGINT (Ctrl-C) cancelling the token the service passes to everything it runs.

use tokio_util::sync::CancellationToken;

/// Installs rustls' aws-lc-rs crypto provider as the process default. Several dependencies pull
/// in both `ring` and `aws-lc-rs`, and then rustls cannot pick one by itself and panics on the
/// first TLS handshake that does not pass a provider explicitly (async-nats does not).
/// Idempotent: call it first in every `main` (and test setup); later calls are no-ops.
pub fn install_crypto_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Waits for SIGTERM or SIGINT (Ctrl-C), then cancels `token`.
pub async fn cancel_on_signal(token: CancellationToken) {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
        () = token.cancelled() => return,
    }
    token.cancel();
}

/// A fresh shutdown token cancelled by SIGTERM or SIGINT.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    tokio::spawn(cancel_on_signal(token.clone()));
    token
}
