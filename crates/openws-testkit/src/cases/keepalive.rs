//! Keepalive: the server pings, and drops a peer that stops answering.

use std::time::Duration;

use crate::Server;
use crate::apps;
use crate::client::{Client, wait_until};

const PING_INTERVAL: Duration = Duration::from_millis(100);
const MAX_MISSED: u32 = 2;

/// Scheduling slack on a loaded machine, on top of the configured bound.
const SLACK: Duration = Duration::from_secs(1);

/// A client that stops answering pings (it no longer reads its socket) is
/// dropped within `(max_missed_pings + 1) × ping_interval` and leaves the hub;
/// a client that answers is pinged and stays.
pub async fn a_client_that_stops_answering_pings_is_dropped<S: Server>() {
    let relay = apps::relay_with("/relay", |b| b.keepalive(PING_INTERVAL, MAX_MISSED));
    let bound = relay.bindings.config().dead_peer_bound().expect("pings on");
    let hub = relay.bindings.hub().clone();
    let server = S::start(vec![relay]).await;
    let mut alive = Client::connect(server.addr, "/relay").await;
    let alive = tokio::spawn(async move {
        let pings = alive.idle(bound * 4).await;
        (alive, pings)
    });
    let mut silent = Client::connect(server.addr, "/relay").await;
    let connected = tokio::time::Instant::now();
    wait_until(|| hub.len() == 2, "two relay connections").await;
    wait_until(|| hub.len() == 1, "the silent client dropped").await;
    let took = connected.elapsed();
    assert!(
        took <= bound + SLACK,
        "dropped after {took:?}, configured bound {bound:?}"
    );

    let (mut alive, pings) = alive.await.expect("idle client");
    assert!(pings >= 2, "the server pings every interval (saw {pings})");
    assert_eq!(hub.len(), 1, "the answering client stays");
    alive
        .message("user", "echo", serde_json::json!({"text": "still here"}))
        .await;
    assert_eq!(alive.expect_message("heard").await["text"], "still here");
    // The socket ends. Whether the close frame (1008) is read depends on the
    // client library: answering the pings left in its buffer after the
    // server closed may fail first.
    let _ = silent.expect_close().await;
}
