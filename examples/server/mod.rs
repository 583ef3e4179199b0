//! What every chat server example does around its framework: logs, the
//! address to listen on, and the line announcing it.

use std::net::SocketAddr;

use tracing_subscriber::EnvFilter;

/// Logs at `RUST_LOG` (default `info`); returns `OPENWS_ADDR` (default `127.0.0.1:8082`).
pub(crate) fn init() -> String {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    std::env::var("OPENWS_ADDR").unwrap_or_else(|_| "127.0.0.1:8082".to_owned())
}

/// Logs where the chat network and its spec are served.
pub(crate) fn announce(addr: SocketAddr) {
    tracing::info!(
        "chat server on ws://{addr}/chat, spec at http://{addr}/openws/spec.json, viewer at http://{addr}/openws/ui"
    );
}
