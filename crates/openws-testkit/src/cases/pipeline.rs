//! The handler pipeline end to end: guards, a tower timeout, streams, binary frames.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

use crate::Server;
use crate::apps::{self, PipelineState};
use crate::client::{Client, TIMEOUT};

/// How many chunks the long stream sends, and the padding of each: together
/// far more than the queue, the server's send buffer (up to 4 MiB here) and
/// the slow reader's small receive buffer hold.
const CHUNKS: u64 = 10_000;
const CHUNK_PAD: usize = 1024;

async fn start<S: Server>() -> (crate::RunningServer, Arc<PipelineState>) {
    let state = Arc::new(PipelineState::default());
    let server = S::start(vec![apps::pipeline("/pipeline", Arc::clone(&state))]).await;
    (server, state)
}

/// A guarded message is refused with `guard_rejected` until the `login`
/// handler set the connection state the guard reads; the handler then runs.
pub async fn guards_refuse_until_login<S: Server>() {
    let (server, _) = start::<S>().await;
    let mut client = Client::connect(server.addr, "/pipeline").await;
    client
        .message("client", "post", json!({"text": "hi"}))
        .await;
    let error = client.expect_error("guard_rejected").await;
    assert_eq!(error["message"], "log in first");
    assert_eq!(error["messageName"], "post");
    client
        .message("client", "login", json!({"text": "ann"}))
        .await;
    client
        .message("client", "post", json!({"text": "hi"}))
        .await;
    assert_eq!(client.expect_message("posted").await["text"], "ann: hi");
}

/// A handler that outlasts its tower timeout gets an error frame with code
/// `timeout` (carrying the request's id), and the connection goes on.
pub async fn a_tower_timeout_answers_with_timeout<S: Server>() {
    let (server, _) = start::<S>().await;
    let mut client = Client::connect(server.addr, "/pipeline").await;
    client
        .send(json!({"fromRole": "client", "messageName": "slow", "payload": {}, "id": 9}))
        .await;
    let frame = client.recv().await;
    assert_eq!(frame["error"]["code"], "timeout", "{frame}");
    assert_eq!(frame["replyTo"], 9);
    client
        .message("client", "login", json!({"text": "ann"}))
        .await;
    client
        .message("client", "post", json!({"text": "on"}))
        .await;
    assert_eq!(client.expect_message("posted").await["text"], "ann: on");
}

/// 10,000 chunks reach a reader that pauses: complete, in order, ended by
/// `done`. While the reader pauses, the server stops producing (the
/// connection's queue bounds what it holds) and still handles the
/// connection's other frames.
pub async fn a_long_stream_reaches_a_slow_reader_complete_and_in_order<S: Server>() {
    let (server, state) = start::<S>().await;
    let mut client = Client::connect_with_receive_buffer(server.addr, "/pipeline", 4096).await;
    client
        .send(json!({
            "fromRole": "client", "messageName": "count", "id": "c1",
            "payload": {"n": CHUNKS, "size": CHUNK_PAD},
        }))
        .await;
    // The reader pauses: production must stall well short of the end.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stalled_at = state.sent.load(Ordering::SeqCst);
    assert!(
        stalled_at > 0 && stalled_at < CHUNKS / 2,
        "backpressure holds the producer back: {stalled_at} chunks sent while nobody read"
    );
    // Other frames are handled while the stream waits.
    client.message("client", "mark", json!({})).await;
    wait_until(|| state.marks.load(Ordering::SeqCst) == 1, "the mark").await;
    assert!(state.sent.load(Ordering::SeqCst) < CHUNKS);

    let mut stream_id = Value::Null;
    for seq in 0..CHUNKS {
        let frame = client.recv().await;
        assert_eq!(frame["messageName"], "number", "chunk {seq}: {frame}");
        assert_eq!(frame["payload"]["n"], seq, "chunks arrive in order");
        assert_eq!(frame["stream"]["seq"], seq);
        assert_eq!(frame["stream"]["state"], "chunk");
        assert_eq!(frame["replyTo"], "c1");
        if seq == 0 {
            stream_id = frame["stream"]["id"].clone();
        }
        assert_eq!(
            frame["stream"]["id"], stream_id,
            "one id for the whole stream"
        );
    }
    let done = client.recv().await;
    assert_eq!(
        done["stream"],
        json!({"id": stream_id, "seq": CHUNKS, "state": "done"}),
        "{done}"
    );
}

/// A `$cancel` frame ends a stream early with its `done` frame; a disconnect
/// drops the producer of a stream nobody reads.
pub async fn streams_end_on_cancel_and_on_disconnect<S: Server>() {
    let (server, state) = start::<S>().await;
    let mut client = Client::connect(server.addr, "/pipeline").await;
    client
        .message("client", "count", json!({"n": 1_000_000, "size": 8}))
        .await;
    let first = client.recv().await;
    let id = first["stream"]["id"].clone();
    client
        .message("client", "$cancel", json!({"stream": id}))
        .await;
    let done = loop {
        let frame = client.recv().await;
        if frame["stream"]["state"] == "done" {
            break frame;
        }
    };
    assert_eq!(done["stream"]["id"], id);
    assert!(done["stream"]["seq"].as_u64().unwrap() < 1_000_000);
    wait_until(
        || state.producer_dropped.load(Ordering::SeqCst),
        "the cancelled producer to stop",
    )
    .await;

    client
        .message("client", "count", json!({"n": 1_000_000, "size": 8}))
        .await;
    client.recv().await;
    assert!(!state.producer_dropped.load(Ordering::SeqCst));
    drop(client);
    wait_until(
        || state.producer_dropped.load(Ordering::SeqCst),
        "the producer of a disconnected client to stop",
    )
    .await;
}

/// Binary frames reach the network's binary handler once its guard allows them.
pub async fn binary_frames_reach_the_binary_handler<S: Server>() {
    let (server, _) = start::<S>().await;
    let mut client = Client::connect(server.addr, "/pipeline").await;
    client.send_binary(vec![7; 100]).await;
    let error = client.expect_error("guard_rejected").await;
    assert_eq!(error["message"], "log in before uploading");
    client
        .message("client", "login", json!({"text": "ann"}))
        .await;
    client.send_binary(vec![7; 100]).await;
    assert_eq!(client.expect_message("stored").await["bytes"], 100);
}

async fn wait_until(condition: impl Fn() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
