//! The conformance suite, run against openws-axum.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::get;
use openws_axum::RouterExt;
use openws_core::Networks;
use openws_testkit::{
    FALLBACK_BODY, Fallback, Group, LAYER_HEADER, LAYER_VALUE, Layout, NETWORKS_ROUTE,
    RunningServer, Server, network_names,
};

struct Axum;

/// One router per group; the app's state is the root `Networks`.
fn router(group: Group) -> Router<Networks> {
    group
        .mounts
        .into_iter()
        .fold(Router::new(), |router, mount| {
            router.openws(mount.path, mount.bindings, &group.networks)
        })
}

async fn add_layer_header(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(LAYER_HEADER, HeaderValue::from_static(LAYER_VALUE));
    response
}

impl Server for Axum {
    async fn serve(layout: Layout) -> RunningServer {
        let fallback = || async { FALLBACK_BODY };
        let mut app = Router::new().route(
            NETWORKS_ROUTE,
            get(|State(networks): State<Networks>| async move { network_names(&networks) }),
        );
        if layout.fallback == Some(Fallback::Before) {
            app = app.fallback(fallback);
        }
        for group in layout.groups {
            app = match group.prefix {
                None => app.merge(router(group)),
                Some(prefix) => app.nest(prefix, router(group)),
            };
        }
        if layout.fallback == Some(Fallback::After) {
            app = app.fallback(fallback);
        }
        let mut app = app.with_state(layout.networks);
        if layout.layered {
            app = app.layer(map_response(add_layer_header));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(
            openws_axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            }),
        );
        RunningServer::new(addr, stop)
    }
}

openws_testkit::conformance_suite!(Axum);
