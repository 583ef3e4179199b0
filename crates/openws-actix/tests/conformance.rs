//! The conformance suite, run against openws-actix.

use actix_web::middleware::{Condition, DefaultHeaders};
use actix_web::{App, HttpRequest, HttpServer, web};
use openws_core::Networks;
use openws_testkit::{
    FALLBACK_BODY, Fallback, Group, LAYER_HEADER, LAYER_VALUE, Layout, NETWORKS_ROUTE,
    RunningServer, Server, network_names,
};

struct Actix;

/// Stops the server (without waiting for open connections) when dropped.
#[derive(Debug)]
struct Stop(actix_web::dev::ServerHandle);

impl Drop for Stop {
    fn drop(&mut self) {
        // The stop command is sent on the call; the returned future only waits for it.
        drop(self.0.stop(false));
    }
}

/// One `configure` call per group, one `network` per mount.
fn configure(group: Group) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        for mount in group.mounts {
            config.configure(openws_actix::network(
                mount.path,
                mount.bindings,
                &group.networks,
            ));
        }
    }
}

async fn own_route(request: HttpRequest) -> String {
    network_names(request.app_data::<Networks>().expect("app data"))
}

impl Server for Actix {
    async fn serve(layout: Layout) -> RunningServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(move || {
            let layout = layout.clone();
            let fallback = || web::to(|| async { FALLBACK_BODY });
            let mut app = App::new()
                .app_data(layout.networks.clone())
                .route(NETWORKS_ROUTE, web::get().to(own_route));
            if layout.fallback == Some(Fallback::Before) {
                app = app.default_service(fallback());
            }
            for group in layout.groups {
                app = match group.prefix {
                    None => app.configure(configure(group)),
                    Some(prefix) => app.service(web::scope(prefix).configure(configure(group))),
                };
            }
            if layout.fallback == Some(Fallback::After) {
                app = app.default_service(fallback());
            }
            app.wrap(Condition::new(
                layout.layered,
                DefaultHeaders::new().add((LAYER_HEADER, LAYER_VALUE)),
            ))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let stop = Stop(server.handle());
        tokio::spawn(server);
        RunningServer::new(addr, stop)
    }
}

openws_testkit::conformance_suite!(Actix);
