//! The seed's chat network served by axum.
//!
//! ```sh
//! cargo run --example chat_axum
//! ```
//!
//! Listens on `OPENWS_ADDR` (default `127.0.0.1:8082`): WebSocket at `/chat`, spec at
//! `/openws/spec.json`. The portal role needs `Authorization: Bearer $CHAT_PORTAL_TOKEN`
//! (default `dev-portal-token`), or `?token=`, or a `bearer.<token>` subprotocol; clients choose
//! `client` in their first frame. On Ctrl-C or SIGTERM, clients get 1001 after their queued frames.
//! `OPENWS_TLS=self-signed`, or `OPENWS_TLS_CERT` and `OPENWS_TLS_KEY` (PEM files), serve
//! `wss://` and `https://` instead, at the same address and paths.

// Shared by every example and the conformance suite; each uses a part.
#[allow(dead_code)]
mod chat;
mod server;

use axum::Router;
use openws::axum::RouterExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = server::init();
    let networks = openws::Networks::new().with_viewer();
    let bindings = chat::bindings_from_env()?;
    let app = Router::new().openws("/chat", bindings.clone(), &networks);
    let tls = server::tls::from_env()?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    server::announce(listener.local_addr()?, tls.is_some());
    // Like `axum::serve`, plus a header-read timeout for half-sent requests;
    // WebSocket clients are closed first (1001 after their queued frames).
    let mut http = openws::axum::serve(listener, app);
    if let Some(tls) = tls {
        http = http.tls(std::sync::Arc::new(tls));
    }
    http.with_graceful_shutdown(server::drain_on_signal(bindings))
        .await;
    Ok(())
}
