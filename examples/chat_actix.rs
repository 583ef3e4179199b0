//! The seed's chat network served by actix-web.
//!
//! ```sh
//! cargo run --example chat_actix
//! ```
//!
//! Listens on `OPENWS_ADDR` (default `127.0.0.1:8082`): WebSocket at `/chat`, spec at
//! `/openws/spec.json`. The portal role needs `Authorization: Bearer $CHAT_PORTAL_TOKEN`
//! (default `dev-portal-token`); clients choose `client` in their first frame. Stops on Ctrl-C.

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
    let http = HttpServer::new(move || {
        App::new().configure(openws_actix::network("/chat", bindings.clone(), &networks))
    })
    .bind(&addr)?;
    http.addrs().into_iter().for_each(server::announce);
    http.run().await?;
    Ok(())
}
