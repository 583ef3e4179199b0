//! The conformance suite, run against openws-warp.

use openws_testkit::{Mount, RunningServer, Server};
use openws_warp::Specs;
use warp::Filter;

struct Warp;

impl Server for Warp {
    async fn start(mounts: Vec<Mount>) -> RunningServer {
        let specs = Specs::default();
        let routes = mounts.into_iter().fold(
            openws_warp::spec(&specs)
                .map(warp::reply::Reply::into_response)
                .boxed(),
            |routes, mount| {
                routes
                    .or(openws_warp::network(mount.path, mount.bindings, &specs))
                    .unify()
                    .boxed()
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(
            openws_warp::serve(listener, routes).with_graceful_shutdown(async {
                let _ = stopped.await;
            }),
        );
        RunningServer::new(addr, stop)
    }
}

openws_testkit::conformance_suite!(Warp);
