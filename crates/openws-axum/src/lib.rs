#![doc = include_str!("../README.md")]

mod endpoints;
mod serve;
mod socket;

/// The rustls the `tls` feature serves with, for building its `ServerConfig`.
#[cfg(feature = "tls")]
pub use openws_hyper::rustls;
pub use serve::serve;

use axum::Router;
use axum::extract::{Request, WebSocketUpgrade};
use axum::routing::get;
use openws_core::{Bindings, Networks};

/// Mounts OpenWS networks on an axum [`Router`].
///
/// ```no_run
/// use axum::Router;
/// use openws_axum::RouterExt;
/// use openws_core::Networks;
/// # fn chat() -> openws_core::Bindings { unimplemented!() }
/// # fn probe() -> openws_core::Bindings { unimplemented!() }
///
/// let networks = Networks::new();
/// let app: Router = Router::new()
///     .openws("/chat", chat(), &networks)
///     .openws("/probe", probe(), &networks);
/// // GET /chat and /probe upgrade; GET /openws/spec.json lists both networks.
/// ```
pub trait RouterExt: sealed::Sealed {
    /// Serves `bindings` as WebSocket route `path`, lists its network in
    /// `networks`, and answers the app-level endpoints of `networks` under
    /// `/openws/` (such as [`Networks::SPEC_PATH`]).
    ///
    /// Each upgrade request goes through the network's connect rule first
    /// (a refusal is answered with its HTTP status); the connection then runs
    /// a session of the network until either side closes it.
    ///
    /// Pass the same `networks` for every network of the router and of the
    /// routers merged into it; a router nested under a prefix gets its own,
    /// and answers `{prefix}/openws/…` with endpoints under the prefix.
    #[must_use]
    fn openws(self, path: &str, bindings: Bindings, networks: &Networks) -> Self;
}

impl<S> RouterExt for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn openws(self, path: &str, bindings: Bindings, networks: &Networks) -> Self {
        networks.mount(path, &bindings);
        let upgrade = move |upgrade: WebSocketUpgrade, request: Request| {
            socket::upgrade(bindings.clone(), upgrade, request)
        };
        self.route(path, get(upgrade))
            .route(endpoints::ROUTE, endpoints::route(networks.clone()))
    }
}

mod sealed {
    pub trait Sealed {}
    impl<S> Sealed for axum::Router<S> {}
}
