//! [`serve`]: `axum::serve` with a header-read timeout.

use axum::Router;
use axum::extract::ConnectInfo;
use openws_hyper::Server;
use tokio::net::TcpListener;

/// Serves `router` on `listener` like `axum::serve`, and closes connections
/// whose request headers do not arrive within the header-read timeout
/// ([`openws_hyper::HEADER_READ_TIMEOUT`], 5 s; change it with
/// `.header_read_timeout(..)`), which `axum::serve` cannot set.
///
/// With the `tls` feature, `.tls(config)` serves HTTPS and `wss://` with
/// rustls (re-exported here as `rustls`); the spec then lists `wss` endpoints.
///
/// Each request carries the peer's address as `ConnectInfo<SocketAddr>`.
///
/// ```no_run
/// use axum::Router;
/// use openws_axum::RouterExt;
/// # fn chat() -> openws_core::Bindings { unimplemented!() }
///
/// # async fn run() -> std::io::Result<()> {
/// let app = Router::new().openws("/chat", chat(), &openws_core::Networks::new());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8082").await?;
/// openws_axum::serve(listener, app)
///     .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap() })
///     .await;
/// # Ok(())
/// # }
/// ```
pub fn serve(listener: TcpListener, router: Router) -> Server<Router> {
    Server::new(listener, router, |extensions, peer| {
        extensions.insert(ConnectInfo(peer));
    })
}
