#![doc = include_str!("../README.md")]

mod socket;

use std::sync::{Arc, Mutex, PoisonError};

use openws_core::{Bindings, MountedNetwork, SpecRegistry};
use warp::filters::path::Peek;
use warp::reply::{Json, Response};
use warp::{Filter, Rejection};

/// Where the [`spec`] filter serves the combined spec.
pub const SPEC_PATH: &str = SpecRegistry::PATH;

/// The networks mounted with [`network`], listed by [`spec`].
///
/// Cheap to clone; clones share the same networks. The spec filter reads them
/// per request, so networks and spec filter may be built in any order.
#[derive(Debug, Clone, Default)]
pub struct Specs(Arc<Mutex<SpecRegistry>>);

impl Specs {
    fn add(&self, mounted: MountedNetwork) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(mounted);
    }

    fn document(&self, authority: Option<&str>) -> openws_core::Document {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .document(authority)
    }
}

/// A filter serving `bindings` as WebSocket route `path` (one or more
/// segments: `"/chat"`, `"chat"` and `"/api/chat"` all work), listed in `specs`.
///
/// Each upgrade request goes through the network's connect rule first (a
/// refusal is answered with its HTTP status); the connection then runs a
/// session of the network until either side closes it. Requests for other
/// paths are rejected with 404, so `.or(...)` tries the next filter.
///
/// ```no_run
/// use openws_warp::Specs;
/// use warp::Filter;
/// # fn chat() -> openws_core::Bindings { unimplemented!() }
/// # fn probe() -> openws_core::Bindings { unimplemented!() }
///
/// let specs = Specs::default();
/// let routes = openws_warp::network("/chat", chat(), &specs)
///     .or(openws_warp::network("/probe", probe(), &specs))
///     .or(openws_warp::spec(&specs));
/// // GET /openws/spec.json lists both networks.
/// ```
pub fn network(
    path: &str,
    bindings: Bindings,
    specs: &Specs,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + use<> {
    let path = format!("/{}", path.trim_start_matches('/'));
    specs.add(MountedNetwork::new(path.as_str(), &bindings));
    exact_path(&path)
        .and(socket::handshake())
        .and(socket::connect_request())
        .then(move |handshake, request| socket::upgrade(bindings.clone(), handshake, request))
}

/// A filter answering `GET` [`SPEC_PATH`] with one OpenWS document of every
/// network mounted with `specs`, each listing the endpoint it is served at.
pub fn spec(specs: &Specs) -> impl Filter<Extract = (Json,), Error = Rejection> + Clone + use<> {
    let specs = specs.clone();
    warp::get()
        .and(exact_path(SPEC_PATH))
        .and(warp::host::optional())
        .map(move |authority: Option<warp::host::Authority>| {
            warp::reply::json(&specs.document(authority.as_ref().map(|a| a.as_str())))
        })
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
