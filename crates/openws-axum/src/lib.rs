#![doc = include_str!("../README.md")]

mod discovery;
mod serve;
mod socket;

pub use serve::serve;

use axum::Router;
use axum::extract::{Request, WebSocketUpgrade};
use axum::routing::get;
use openws_core::{Bindings, MountedNetwork, SpecRegistry};

/// Where every router with an OpenWS network serves the combined spec.
pub const SPEC_PATH: &str = SpecRegistry::PATH;

/// Mounts OpenWS networks on an axum [`Router`].
///
/// ```no_run
/// use axum::Router;
/// use openws_axum::RouterExt;
/// # fn bindings() -> openws_core::Bindings { unimplemented!() }
///
/// let app: Router = Router::new().openws("/chat", bindings());
/// // GET /chat upgrades to the chat network; GET /openws/spec.json describes it.
/// ```
pub trait RouterExt: sealed::Sealed {
    /// Serves `bindings` as WebSocket route `path`, and lists its network at
    /// [`SPEC_PATH`].
    ///
    /// Each upgrade request goes through the network's connect rule first
    /// (a refusal is answered with its HTTP status); the connection then runs
    /// a session of the network until either side closes it.
    #[must_use]
    fn openws(self, path: &str, bindings: Bindings) -> Self;
}

impl<S> RouterExt for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn openws(self, path: &str, bindings: Bindings) -> Self {
        let mounted = MountedNetwork::new(path, &bindings);
        let upgrade = move |upgrade: WebSocketUpgrade, request: Request| {
            socket::upgrade(bindings.clone(), upgrade, request)
        };
        self.route(path, get(upgrade))
            .layer(axum::middleware::from_fn(move |request, next| {
                discovery::serve_spec(mounted.clone(), request, next)
            }))
    }
}

mod sealed {
    pub trait Sealed {}
    impl<S> Sealed for axum::Router<S> {}
}
