//! The conformance suite, run against openws-warp.

use openws_core::Networks;
use openws_testkit::{
    FALLBACK_BODY, Group, LAYER_HEADER, LAYER_VALUE, Layout, NETWORKS_ROUTE, RunningServer, Server,
    network_names,
};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::filters::path::FullPath;
use warp::reply::{Reply, Response};

struct Warp;

/// One filter per group (`.or` of its networks), behind its prefix if any.
fn group_filter(group: Group) -> BoxedFilter<(Response,)> {
    let networks = group.networks;
    let filter = group
        .mounts
        .into_iter()
        .map(|mount| openws_warp::network(mount.path, mount.bindings, &networks).boxed())
        .reduce(|routes, next| routes.or(next).unify().boxed())
        .expect("a group has networks");
    match group.prefix {
        None => filter,
        Some(prefix) => warp::path(prefix.trim_start_matches('/'))
            .and(filter)
            .boxed(),
    }
}

/// The app's own route, reading the root `Networks` from a filter.
fn own_route(networks: Networks) -> BoxedFilter<(Response,)> {
    warp::path::full()
        .and(warp::any().map(move || networks.clone()))
        .and_then(|path: FullPath, networks: Networks| async move {
            if path.as_str() == NETWORKS_ROUTE {
                Ok(network_names(&networks).into_response())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .boxed()
}

impl Server for Warp {
    async fn serve(layout: Layout) -> RunningServer {
        let mut routes = own_route(layout.networks);
        for group in layout.groups {
            routes = routes.or(group_filter(group)).unify().boxed();
        }
        // A catch-all tried first would shadow every route: warp's fallback goes last.
        if layout.fallback.is_some() {
            let fallback = warp::any().map(|| FALLBACK_BODY.into_response());
            routes = routes.or(fallback).unify().boxed();
        }
        if layout.layered {
            routes = routes
                .with(warp::reply::with::header(LAYER_HEADER, LAYER_VALUE))
                .map(Reply::into_response)
                .boxed();
        }
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
