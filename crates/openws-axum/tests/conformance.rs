//! The conformance suite, run against openws-axum.

use axum::Router;
use openws_axum::RouterExt;
use openws_testkit::{Mount, RunningServer, Server};

struct Axum;

impl Server for Axum {
    async fn start(mounts: Vec<Mount>) -> RunningServer {
        let app = mounts.into_iter().fold(Router::new(), |app, mount| {
            app.openws(mount.path, mount.bindings)
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            // The peer address feeds the per-IP connection limit.
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        RunningServer::new(addr, stop)
    }
}

openws_testkit::conformance_suite!(Axum);
