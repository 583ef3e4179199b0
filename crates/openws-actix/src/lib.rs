#![doc = include_str!("../README.md")]

mod endpoints;
mod guard;
mod http1;
mod inbound;
mod outbound;
mod socket;

use actix_web::{HttpRequest, web};
use openws_core::{Bindings, Networks};

/// Serves `bindings` as WebSocket route `path`, lists its network in
/// `networks`, and answers the app-level endpoints of `networks` under
/// `/openws/` (such as [`Networks::SPEC_PATH`]): pass it to `App::configure`,
/// `Scope::configure` or `ServiceConfig::configure`.
///
/// Each upgrade request goes through the network's connect rule first (a
/// refusal is answered with its HTTP status); the connection then runs a
/// session of the network until either side closes it.
///
/// Pass the same `networks` for every network of an `App` (across any number
/// of `configure` calls); a `Scope` gets its own, and answers
/// `{scope}/openws/…` with endpoints under the scope's path. actix builds
/// one `App` per worker; mounting the same network again changes nothing.
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use openws_core::Networks;
/// # fn chat() -> openws_core::Bindings { unimplemented!() }
/// # fn probe() -> openws_core::Bindings { unimplemented!() }
///
/// let (chat, probe, networks) = (chat(), probe(), Networks::new());
/// HttpServer::new(move || {
///     App::new()
///         .app_data(networks.clone()) // for your own handlers
///         .configure(openws_actix::network("/chat", chat.clone(), &networks))
///         .configure(openws_actix::network("/probe", probe.clone(), &networks))
/// });
/// // GET /openws/spec.json lists both networks.
/// ```
pub fn network(
    path: &str,
    bindings: Bindings,
    networks: &Networks,
) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    networks.mount(path, &bindings);
    let path = path.to_owned();
    let networks = networks.clone();
    move |config| {
        let upgrade = move |request: HttpRequest, body: web::Payload| {
            socket::upgrade(bindings.clone(), request, body)
        };
        config
            .route(&path, web::get().to(upgrade))
            .service(endpoints::resource(networks));
    }
}
