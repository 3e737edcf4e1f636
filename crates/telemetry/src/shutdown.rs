//! Process shutdown for every penny binary: SIGTERM (Kubernetes) or SIGINT (Ctrl-C) cancel a
//! [`CancellationToken`] that the service passes to everything it runs.

use tokio_util::sync::CancellationToken;

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
    }
    token.cancel();
}
