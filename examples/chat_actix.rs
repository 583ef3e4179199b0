//! The seed's chat network served by actix-web.
//!
//! ```sh
//! cargo run --example chat_actix
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

use actix_web::{App, HttpServer};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = server::init();
    let bindings = chat::bindings_from_env()?;
    let networks = openws::Networks::new().with_viewer();
    let routes = bindings.clone();
    let tls = server::tls::from_env()?;
    let http = HttpServer::new(move || {
        App::new().configure(openws_actix::network("/chat", routes.clone(), &networks))
    })
    .disable_signals();
    let over_tls = tls.is_some();
    let http = match tls {
        Some(tls) => http.bind_rustls_0_23(&addr, tls)?,
        None => http.bind(&addr)?,
    };
    for addr in http.addrs() {
        server::announce(addr, over_tls);
    }
    let http = http.run();
    let handle = http.handle();
    // WebSocket clients first (1001 after their queued frames), then actix's own shutdown.
    actix_web::rt::spawn(async move {
        server::drain_on_signal(bindings).await;
        handle.stop(true).await;
    });
    http.await?;
    Ok(())
}
