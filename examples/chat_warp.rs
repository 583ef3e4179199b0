//! The seed's chat network served by warp.
//!
//! ```sh
//! cargo run --example chat_warp
//! ```
//!
//! Listens on `OPENWS_ADDR` (default `127.0.0.1:8082`): WebSocket at `/chat`, spec at
//! `/openws/spec.json`. The portal role needs `Authorization: Bearer $CHAT_PORTAL_TOKEN`
//! (default `dev-portal-token`), or `?token=`, or a `bearer.<token>` subprotocol; clients choose
//! `client` in their first frame. On Ctrl-C or SIGTERM, clients get 1001 after their queued frames.

// Shared by every example and the conformance suite; each uses a part.
#[allow(dead_code)]
mod chat;
mod server;

use openws_warp::Specs;
use warp::Filter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = server::init();
    let specs = Specs::default();
    let bindings = chat::bindings_from_env()?;
    let routes =
        openws_warp::network("/chat", bindings.clone(), &specs).or(openws_warp::spec(&specs));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    server::announce(listener.local_addr()?);
    // WebSocket clients first (1001 after their queued frames), then warp's own shutdown.
    warp::serve(routes)
        .incoming(listener)
        .graceful(server::drain_on_signal(bindings))
        .run()
        .await;
    Ok(())
}
