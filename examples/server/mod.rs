//! What every chat server example does around its framework: logs, the
//! address to listen on, TLS, and the line announcing it.

pub(crate) mod tls;

use std::net::SocketAddr;

use tracing_subscriber::EnvFilter;

/// Logs at `RUST_LOG` (default `info`); returns `OPENWS_ADDR` (default `127.0.0.1:8082`).
pub(crate) fn init() -> String {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    std::env::var("OPENWS_ADDR").unwrap_or_else(|_| "127.0.0.1:8082".to_owned())
}

/// Logs where the chat network and its spec are served (`wss://` and
/// `https://` over TLS).
pub(crate) fn announce(addr: SocketAddr, tls: bool) {
    let s = if tls { "s" } else { "" };
    tracing::info!(
        "chat server on ws{s}://{addr}/chat, spec at http{s}://{addr}/openws/spec.json, viewer at http{s}://{addr}/openws/ui"
    );
}

/// How long a shutdown waits for WebSocket clients to take their last frames.
pub(crate) const SHUTDOWN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: closing WebSocket clients with 1001");
}

/// Waits for a shutdown signal, then shuts `bindings` down gracefully: new
/// upgrades get 503, open connections get their queued frames and 1001.
pub(crate) async fn drain_on_signal(bindings: openws::Bindings) {
    shutdown_signal().await;
    let remaining = bindings.shutdown(SHUTDOWN_DEADLINE).await;
    if remaining > 0 {
        tracing::warn!(remaining, "connections still open at the shutdown deadline");
    }
}
