//! The seed's chat network served by axum.
//!
//! ```sh
//! cargo run --example chat_axum
//! ```
//!
//! Listens on `OPENWS_ADDR` (default `127.0.0.1:8082`): WebSocket at `/chat`, spec at
//! `/openws/spec.json`. The portal role needs `Authorization: Bearer $CHAT_PORTAL_TOKEN`
//! (default `dev-portal-token`); clients choose `client` in their first frame. Stops on Ctrl-C.

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
    let app = Router::new().openws("/chat", bindings, &networks);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    server::announce(listener.local_addr()?);
    // Like `axum::serve`, plus a header-read timeout for half-sent requests.
    openws::axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    Ok(())
}
