#![doc = include_str!("../README.md")]

mod discovery;
mod guard;
mod socket;

use actix_web::{HttpRequest, web};
use openws_core::{Bindings, MountedNetwork, SpecRegistry};

/// Where every `App` (or `Scope`) with an OpenWS network serves the combined spec.
pub const SPEC_PATH: &str = SpecRegistry::PATH;

/// Serves `bindings` as WebSocket route `path`, and lists its network at
/// [`SPEC_PATH`]: pass it to `App::configure`, `Scope::configure` or
/// `ServiceConfig::configure`.
///
/// Each upgrade request goes through the network's connect rule first (a
/// refusal is answered with its HTTP status); the connection then runs a
/// session of the network until either side closes it. Networks configured
/// on the same `App` (or `Scope`) share one spec document.
///
/// ```no_run
/// use actix_web::App;
/// # fn chat() -> openws_core::Bindings { unimplemented!() }
/// # fn probe() -> openws_core::Bindings { unimplemented!() }
///
/// let app = App::new()
///     .configure(openws_actix::network("/chat", chat()))
///     .configure(openws_actix::network("/probe", probe()));
/// // GET /openws/spec.json lists both networks.
/// ```
pub fn network(path: &str, bindings: Bindings) -> impl FnOnce(&mut web::ServiceConfig) {
    let path = path.to_owned();
    move |config| {
        discovery::register(config, MountedNetwork::new(path.as_str(), &bindings));
        let upgrade = move |request: HttpRequest, body: web::Payload| {
            socket::upgrade(bindings.clone(), request, body)
        };
        config.route(&path, web::get().to(upgrade));
    }
}
