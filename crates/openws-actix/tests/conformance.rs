//! The conformance suite, run against openws-actix.

use actix_web::{App, HttpServer};
use openws_testkit::{Mount, RunningServer, Server};

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

impl Server for Actix {
    async fn start(mounts: Vec<Mount>) -> RunningServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(move || {
            mounts.iter().fold(App::new(), |app, mount| {
                app.configure(openws_actix::network(mount.path, mount.bindings.clone()))
            })
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
