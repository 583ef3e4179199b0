//! [`serve`]: `warp::serve` with a header-read timeout.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use openws_hyper::Server;
use tokio::net::TcpListener;
use warp::Filter;
use warp::hyper::body::Incoming;
use warp::reply::{Reply, Response};

/// The peer's address, recorded by [`serve`] (warp's own `warp::addr::remote()`
/// is filled only by `warp::serve`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) SocketAddr);

/// Serves `filter` on `listener` like `warp::serve(filter).incoming(listener)`,
/// and closes connections whose request headers do not arrive within the
/// header-read timeout ([`openws_hyper::HEADER_READ_TIMEOUT`], 5 s; change it
/// with `.header_read_timeout(..)`), which `warp::serve` cannot set.
///
/// With the `tls` feature, `.tls(config)` serves HTTPS and `wss://` with
/// rustls (re-exported here as `rustls`); the spec then lists `wss` endpoints.
///
/// The networks' connect hooks see the peer's address; `warp::addr::remote()`
/// in your own filters does not under this server.
///
/// ```no_run
/// # fn chat() -> openws_core::Bindings { unimplemented!() }
///
/// # async fn run() -> std::io::Result<()> {
/// let networks = openws_core::Networks::new();
/// let routes = openws_warp::network("/chat", chat(), &networks);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8082").await?;
/// openws_warp::serve(listener, routes)
///     .with_graceful_shutdown(async { tokio::signal::ctrl_c().await.unwrap() })
///     .await;
/// # Ok(())
/// # }
/// ```
pub fn serve<F>(
    listener: TcpListener,
    filter: F,
) -> Server<
    impl tower_service::Service<
        warp::http::Request<Incoming>,
        Response = Response,
        Error = Infallible,
        Future = impl Future<Output = Result<Response, Infallible>> + Send + 'static,
    > + Clone
    + Send
    + 'static,
>
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: Reply,
{
    Server::new(listener, warp::service(filter), |extensions, peer| {
        extensions.insert(PeerAddr(peer));
    })
}
