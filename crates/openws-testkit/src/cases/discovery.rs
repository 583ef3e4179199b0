//! Discovery in real apps: fallbacks, nesting, merging, layers, framework
//! state, and two apps in one process. Every spec served is checked against
//! the official schema.

use std::net::SocketAddr;
use std::sync::Arc;

use openws::EndpointRequest;
use serde_json::{Value, json};

use crate::apps::{self, RoleRule};
use crate::cases::spec::valid_spec;
use crate::client::Client;
use crate::{
    FALLBACK_BODY, Fallback, LAYER_HEADER, LAYER_VALUE, Layout, Mount, NETWORKS_ROUTE, Server,
    http_get,
};

fn probe(path: &'static str) -> Mount {
    apps::probe(path, RoleRule::Fixed, Arc::default())
}

/// The spec at `path`, schema-checked, as `(network, endpoint path)` pairs in order.
async fn listed(addr: SocketAddr, path: &str) -> Vec<(String, String)> {
    let response = http_get::get(addr, path).await;
    assert_eq!(response.status, 200, "GET {path}: {}", response.body);
    let spec = valid_spec(&response.body);
    let networks = spec["networks"].as_object().expect("networks");
    networks
        .iter()
        .flat_map(|(name, network)| {
            let host = network["roles"]
                .as_object()
                .and_then(|roles| roles.values().find(|role| role["x-host"] == true))
                .expect("a host role");
            let endpoints = host["endpoints"].as_array().cloned().unwrap_or_default();
            assert!(!endpoints.is_empty(), "{name} lists no endpoint");
            endpoints.into_iter().map(move |endpoint| {
                assert_eq!(endpoint["host"], "127.0.0.1");
                assert_eq!(endpoint["port"], addr.port());
                (name.clone(), endpoint["path"].as_str().unwrap().to_owned())
            })
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(name, path)| ((*name).to_owned(), (*path).to_owned()))
        .collect()
}

/// The probe network at `path` answers an echo.
async fn echoes(addr: SocketAddr, path: &str) {
    let mut client = Client::connect(addr, path).await;
    client.message("user", "echo", json!({"text": path})).await;
    assert_eq!(client.expect_message("echoed").await["text"], path);
}

async fn fallback_keeps_the_spec<S: Server>(fallback: Fallback) {
    let layout = Layout::root(vec![apps::chat(), probe("/probe")]).with_fallback(fallback);
    let server = S::serve(layout).await;
    assert_eq!(
        listed(server.addr, "/openws/spec.json").await,
        pairs(&[("chat", "/chat"), ("probe", "/probe")])
    );
    let elsewhere = http_get::get(server.addr, "/some/page").await;
    assert_eq!(
        (elsewhere.status, elsewhere.body.as_str()),
        (200, FALLBACK_BODY)
    );
    echoes(server.addr, "/probe").await;
}

/// A fallback registered after the networks (an SPA's last line) answers
/// other paths; the spec and the sockets still answer theirs.
pub async fn spec_survives_fallback_added_after<S: Server>() {
    fallback_keeps_the_spec::<S>(Fallback::After).await;
}

/// The same with the fallback registered before the networks.
pub async fn spec_survives_fallback_added_before<S: Server>() {
    fallback_keeps_the_spec::<S>(Fallback::Before).await;
}

/// A group nested under `/api` lists its networks at `/api/…` in a spec
/// served at `/api/openws/spec.json`; the root lists its own only.
pub async fn nested_networks_list_full_paths<S: Server>() {
    let layout = Layout::root(vec![apps::chat()]).nested("/api", vec![probe("/probe")]);
    let server = S::serve(layout).await;
    assert_eq!(
        listed(server.addr, "/api/openws/spec.json").await,
        pairs(&[("probe", "/api/probe")])
    );
    assert_eq!(
        listed(server.addr, "/openws/spec.json").await,
        pairs(&[("chat", "/chat")])
    );
    echoes(server.addr, "/api/probe").await;
}

/// Groups merged into the root share one spec listing all their networks.
pub async fn merged_routers_list_every_network<S: Server>() {
    let layout = Layout::root(vec![apps::chat()]).merged(vec![probe("/probe")]);
    let server = S::serve(layout).await;
    assert_eq!(
        listed(server.addr, "/openws/spec.json").await,
        pairs(&[("chat", "/chat"), ("probe", "/probe")])
    );
    echoes(server.addr, "/probe").await;
}

/// A layer added after everything wraps the endpoints too, and the app's own
/// handler reads the networks from the framework's state.
pub async fn layers_and_state_see_the_networks<S: Server>() {
    let layout = Layout::root(vec![apps::chat(), probe("/probe")]).layered();
    let server = S::serve(layout).await;
    let spec = http_get::get(server.addr, "/openws/spec.json").await;
    assert_eq!(spec.status, 200, "{}", spec.body);
    assert_eq!(spec.header(LAYER_HEADER), Some(LAYER_VALUE));
    valid_spec(&spec.body);
    let own = http_get::get(server.addr, NETWORKS_ROUTE).await;
    assert_eq!(own.status, 200, "{}", own.body);
    let names: Value = serde_json::from_str(&own.body).expect("JSON");
    assert_eq!(names, json!(["chat", "probe"]));
    echoes(server.addr, "/probe").await;
}

/// Two apps in one process each list only their own networks.
pub async fn independent_apps_list_only_their_own<S: Server>() {
    let (first, second) = tokio::join!(
        S::start(vec![apps::chat()]),
        S::start(vec![probe("/elsewhere")])
    );
    assert_eq!(
        listed(first.addr, "/openws/spec.json").await,
        pairs(&[("chat", "/chat")])
    );
    assert_eq!(
        listed(second.addr, "/openws/spec.json").await,
        pairs(&[("probe", "/elsewhere")])
    );
}

/// `/openws/…` paths no endpoint owns get 404, the spec answers `GET` only
/// (405 with `Allow`), and a body over the limit gets 413.
pub async fn endpoints_own_their_paths<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let unknown = http_get::get(server.addr, "/openws/nothing-here").await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let post = http_get::request(server.addr, "POST", "/openws/spec.json", "{}").await;
    assert_eq!(post.status, 405, "{}", post.body);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    let huge = "x".repeat(EndpointRequest::MAX_BODY + 1);
    let too_big = http_get::request(server.addr, "POST", "/openws/spec.json", &huge).await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
}
