#![doc = include_str!("../README.md")]

mod endpoints;
mod serve;
mod socket;

/// The rustls the `tls` feature serves with, for building its `ServerConfig`.
#[cfg(feature = "tls")]
pub use openws_hyper::rustls;
pub use serve::serve;

use std::sync::Arc;

use openws_core::{Bindings, Networks};
use warp::filters::path::Peek;
use warp::reply::Response;
use warp::{Filter, Rejection};

/// A filter serving `bindings` as WebSocket route `path` (one or more
/// segments: `"/chat"`, `"chat"` and `"/api/chat"` all work), listing its
/// network in `networks`, and answering the app-level endpoints of
/// `networks` under `/openws/` (such as [`Networks::SPEC_PATH`]).
///
/// Each upgrade request goes through the network's connect rule first (a
/// refusal is answered with its HTTP status); the connection then runs a
/// session of the network until either side closes it. Requests for other
/// paths are rejected with 404, so `.or(...)` tries the next filter.
///
/// `path` is matched against what earlier filters left: behind
/// `warp::path("api")`, the network serves `/api/chat` and its endpoints
/// `/api/openws/…`, and lists `/api/chat`. Give the networks behind one
/// prefix their own `Networks`.
///
/// ```no_run
/// use openws_core::Networks;
/// use warp::Filter;
/// # fn chat() -> openws_core::Bindings { unimplemented!() }
/// # fn probe() -> openws_core::Bindings { unimplemented!() }
///
/// let networks = Networks::new();
/// let routes = openws_warp::network("/chat", chat(), &networks)
///     .or(openws_warp::network("/probe", probe(), &networks));
/// // GET /openws/spec.json lists both networks.
/// ```
pub fn network(
    path: &str,
    bindings: Bindings,
    networks: &Networks,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
    networks.mount(path, &bindings);
    exact_path(path)
        .and(socket::handshake())
        .and(socket::connect_request())
        .then(move |handshake, request| socket::upgrade(bindings.clone(), handshake, request))
        .or(endpoints::filter(networks.clone()))
        .unify()
}

/// Matches the rest of the request path against `path`, without consuming it.
fn exact_path(path: &str) -> impl Filter<Extract = (), Error = Rejection> + Clone + use<> {
    let expected: Arc<str> = path.trim_start_matches('/').into();
    warp::path::peek()
        .and_then(move |rest: Peek| {
            let matches = rest.as_str() == &*expected;
            async move {
                if matches {
                    Ok(())
                } else {
                    Err(warp::reject::not_found())
                }
            }
        })
        .untuple_one()
}
