//! Admission at the upgrade: connection limits, origins, subprotocols; and
//! the inbound rate limit.

use std::time::Duration;

use openws::RateLimit;
use serde_json::json;

use crate::Server;
use crate::apps;
use crate::client::{Client, wait_until};

/// Past the route's connection limit an upgrade gets 503; the place is freed
/// when a connection ends, whether it closed cleanly or just vanished.
pub async fn connection_limit_answers_503_and_frees_places<S: Server>() {
    let relay = apps::relay_with("/relay", |b| b.max_connections(2));
    let bindings = relay.bindings.clone();
    let server = S::start(vec![relay]).await;
    let first = Client::connect(server.addr, "/relay").await;
    let second = Client::connect(server.addr, "/relay").await;
    assert_eq!(
        Client::try_connect(server.addr, "/relay", &[]).await.err(),
        Some(503)
    );
    first.close().await;
    wait_until(
        || bindings.live_connections() == 1,
        "a clean close frees its place",
    )
    .await;
    let third = Client::connect(server.addr, "/relay").await;
    assert_eq!(
        Client::try_connect(server.addr, "/relay", &[]).await.err(),
        Some(503)
    );
    drop(second);
    wait_until(
        || bindings.live_connections() == 1,
        "a vanished client frees its place",
    )
    .await;
    let _fourth = Client::connect(server.addr, "/relay").await;
    drop(third);
}

/// Past the per-address limit an upgrade from that address gets 503.
pub async fn per_ip_limit_answers_503<S: Server>() {
    let relay = apps::relay_with("/relay", |b| b.max_connections_per_ip(1));
    let bindings = relay.bindings.clone();
    let server = S::start(vec![relay]).await;
    let first = Client::connect(server.addr, "/relay").await;
    assert_eq!(
        Client::try_connect(server.addr, "/relay", &[]).await.err(),
        Some(503),
        "a second connection from 127.0.0.1"
    );
    first.close().await;
    wait_until(|| bindings.live_connections() == 0, "the place freed").await;
    let _again = Client::connect(server.addr, "/relay").await;
}

/// Browsers from origins off the list get 403; the list changes while the
/// server runs; clients sending no `Origin` are admitted.
pub async fn origin_allow_list_is_enforced_and_changeable<S: Server>() {
    const GOOD: &str = "https://good.example";
    const OTHER: &str = "https://other.example";
    let relay = apps::relay_with("/relay", |b| b.allowed_origins([GOOD]));
    let origins = relay.bindings.origins().clone();
    let server = S::start(vec![relay]).await;
    let from = async |origin: &str| {
        Client::try_connect(server.addr, "/relay", &[("origin", origin)]).await
    };
    assert!(from(GOOD).await.is_ok());
    assert_eq!(from(OTHER).await.err(), Some(403));
    assert!(
        Client::try_connect(server.addr, "/relay", &[])
            .await
            .is_ok()
    );

    origins.set([OTHER]);
    assert!(from(OTHER).await.is_ok(), "the new list applies at once");
    assert_eq!(from(GOOD).await.err(), Some(403));
    origins.set(["*"]);
    assert!(from(GOOD).await.is_ok());
}

/// The first of the route's subprotocols the client offers is echoed and
/// visible to handlers; a client offering none of them gets 400 unless the
/// route makes the subprotocol optional.
pub async fn subprotocol_is_negotiated_and_required<S: Server>() {
    let strict = apps::relay_with("/strict", |b| b.subprotocols(["v2.relay", "v1.relay"]));
    let lenient = apps::relay_with("/lenient", |b| {
        b.subprotocols(["v1.relay"]).subprotocol_optional()
    });
    let server = S::start(vec![strict, lenient]).await;
    let offer = async |path: &str, protocols: &str| {
        Client::try_connect(server.addr, path, &[("sec-websocket-protocol", protocols)]).await
    };

    let mut client = offer("/strict", "v1.relay, v2.relay")
        .await
        .expect("admitted");
    assert_eq!(
        client.subprotocol(),
        Some("v2.relay"),
        "the route's preference wins"
    );
    client.message("user", "protocol", json!({})).await;
    assert_eq!(client.expect_message("heard").await["text"], "v2.relay");

    let mut client = offer("/strict", "v1.relay").await.expect("admitted");
    assert_eq!(client.subprotocol(), Some("v1.relay"));
    assert_eq!(
        Client::try_connect(server.addr, "/strict", &[]).await.err(),
        Some(400),
        "offering no subprotocol"
    );
    client.message("user", "protocol", json!({})).await;
    assert_eq!(client.expect_message("heard").await["text"], "v1.relay");

    let mut client = Client::connect(server.addr, "/lenient").await;
    assert_eq!(client.subprotocol(), None);
    client.message("user", "protocol", json!({})).await;
    assert_eq!(client.expect_message("heard").await["text"], "");
}

/// Frames past the token bucket are answered with `rate_limited` and dropped
/// while the connection lives; a client that keeps flooding is closed with 1008.
pub async fn rate_limit_refuses_frames_then_closes_a_flood<S: Server>() {
    const BURST: u32 = 3;
    const CLOSE_AFTER: u32 = 3;
    let relay = apps::relay_with("/relay", |b| {
        b.rate_limit(RateLimit::new(1, BURST).close_after(CLOSE_AFTER))
    });
    let server = S::start(vec![relay]).await;
    let mut client = Client::connect(server.addr, "/relay").await;
    let echo = |n: u32| json!({ "text": n.to_string() });
    for n in 0..=BURST {
        client.message("user", "echo", echo(n)).await;
    }
    for n in 0..BURST {
        assert_eq!(client.expect_message("heard").await["text"], n.to_string());
    }
    client.expect_error("rate_limited").await;

    // A token comes back every second; the refusal window is over too.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.message("user", "echo", echo(99)).await;
    assert_eq!(
        client.expect_message("heard").await["text"],
        "99",
        "the connection lives on after a refusal"
    );

    // Exactly enough to cross the bound: a server closing with frames left
    // unread would reset the connection and lose the close frame.
    for n in 0..=CLOSE_AFTER {
        client.message("user", "echo", echo(n)).await;
    }
    for _ in 0..CLOSE_AFTER {
        client.expect_error("rate_limited").await;
    }
    let (code, reason) = client.expect_close_frame().await.expect("a close frame");
    assert_eq!(code, 1008, "{reason}");
}
