//! The seed's chat network served by axum.
//!
//! ```sh
//! cargo run --example chat_axum
//! ```
//!
//! Listens on `OPENWS_ADDR` (default `127.0.0.1:8082`): WebSocket at `/chat`, spec at
//! `/openws/spec.json`. The portal role needs `Authorization: Bearer $CHAT_PORTAL_TOKEN`
//! (default `dev-portal-token`); clients choose `client` in their first frame.

mod chat;

use axum::Router;
use openws::axum::RouterExt;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let addr = std::env::var("OPENWS_ADDR").unwrap_or_else(|_| "127.0.0.1:8082".to_owned());
    let app = Router::new().openws("/chat", chat::bindings(chat::portal_token_from_env())?);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(
        "chat server on ws://{}/chat, spec at http://{0}/openws/spec.json",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
