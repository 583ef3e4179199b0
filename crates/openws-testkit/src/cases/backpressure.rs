//! One client that stops reading must not stall the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::Server;
use crate::apps::{self, RELAY_QUEUE};
use crate::client::{Client, wait_until};

/// How many shouts the flood sends, and how large each is: together far more
/// than the stalled client's small receive buffer, the server's send buffer
/// (up to 4 MiB here) and the queue hold.
const SHOUTS: usize = 500;
const SHOUT_BYTES: usize = 32 * 1024;

/// A client that never reads is dropped once its queue stays full, even
/// though its socket write never completes; the reading client receives
/// every shout, in order.
pub async fn a_client_that_stops_reading_is_dropped<S: Server>() {
    let relay = apps::relay("/relay");
    let hub = relay.bindings.hub().clone();
    let server = S::start(vec![relay]).await;
    let mut shouter = Client::connect(server.addr, "/relay").await;
    let stalled = Client::connect_with_receive_buffer(server.addr, "/relay", 4096).await;
    let mut reader = Client::connect(server.addr, "/relay").await;
    wait_until(|| hub.len() == 3, "three relay connections").await;

    let progress = Arc::new(AtomicUsize::new(0));
    let read = Arc::clone(&progress);
    let received = tokio::spawn(async move {
        for expected in 0..SHOUTS {
            let payload = reader.expect_message("heard").await;
            let n: usize = payload["text"].as_str().unwrap()[..8].parse().unwrap();
            assert_eq!(n, expected, "shouts arrive in order");
            read.store(expected + 1, Ordering::Relaxed);
        }
        // Kept open until the end: only the stalled client may leave.
        reader
    });
    let padding = "x".repeat(SHOUT_BYTES);
    for n in 0..SHOUTS {
        // As fast as a reading client keeps up: a few frames ahead of it at most.
        let ahead = RELAY_QUEUE / 8;
        wait_until(
            || progress.load(Ordering::Relaxed) + ahead >= n,
            "the reader",
        )
        .await;
        let text = format!("{n:08}{padding}");
        shouter
            .message("user", "shout", json!({ "text": text }))
            .await;
    }
    let reader = received.await.unwrap();
    wait_until(|| hub.len() == 2, "the stalled client dropped").await;
    drop((stalled, reader));
}
