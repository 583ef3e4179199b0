//! Graceful shutdown: queued frames first, then 1001, then 503 for newcomers.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::Server;
use crate::apps;
use crate::client::{Client, TIMEOUT, wait_until};

const CLIENTS: usize = 100;
const QUEUED: usize = 5;

/// With 100 clients connected and frames queued for each, a shutdown closes
/// every one with 1001 after its queued frames, returns once all are gone,
/// and refuses new upgrades with 503.
pub async fn shutdown_sends_1001_after_queued_frames<S: Server>() {
    let relay = apps::relay("/relay");
    let bindings = relay.bindings.clone();
    let hub = bindings.hub().clone();
    let server = S::start(vec![relay]).await;
    let clients = join_all((0..CLIENTS).map(|_| Client::connect(server.addr, "/relay"))).await;
    wait_until(|| hub.len() == CLIENTS, "every client connected").await;

    for n in 0..QUEUED {
        let delivery = hub
            .all()
            .send("heard", &json!({ "text": n.to_string() }))
            .await
            .expect("broadcast");
        assert_eq!(delivery.delivered, CLIENTS);
    }
    let readers = clients.into_iter().map(|mut client| async move {
        for n in 0..QUEUED {
            assert_eq!(
                client.expect_message("heard").await["text"],
                n.to_string(),
                "queued frames arrive before the close, in order"
            );
        }
        client.expect_close_frame().await
    });
    let (closes, remaining) = tokio::join!(join_all(readers), bindings.shutdown(TIMEOUT));
    for close in closes {
        let (code, _reason) = close.expect("a close frame");
        assert_eq!(code, 1001);
    }
    assert_eq!(remaining, 0, "every connection ended before the deadline");
    assert_eq!(bindings.live_connections(), 0);
    assert!(hub.is_empty());
    assert_eq!(
        Client::try_connect(server.addr, "/relay", &[]).await.err(),
        Some(503),
        "no new connections during shutdown"
    );
    // Shutting down twice is harmless.
    assert_eq!(bindings.shutdown(Duration::from_millis(10)).await, 0);
}
